/**
 * `webift ablate --config EXP.json (--without SOURCE)... (--with SOURCE)... [--eval FILE] [--steps N] --out DIR
 * [--json]`: the ablation runner (eval/ablation.ts) on files. The config is the experiment `webift train --config`
 * reads (model, LoRA and training keys), whose `data` lists the base recipe's sources: a list of files (or one
 * comma-separated string); a source's id is its file name without the extension, e.g. data/cot-en.jsonl -> cot-en.
 * `--without ID` removes a base source, `--with FILE` (or an ID with ID.jsonl beside the base sources) adds one.
 * Prompts use the Alpaca template for instruction records, as `webift train` does. Every variant trains with the
 * same seeds and is scored on the same held-out records (and on --eval: multiple choice, exact match or perplexity,
 * detected as `webift eval` does). Writes DIR/results.json and DIR/report.html
 * (self-contained) atomically; prints the summary table, and with --json one last line {"variants", "report"}.
 */
import { existsSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { convert, ConvertError } from '../../data/converters';
import { readJsonRows } from '../../data/converters/rows';
import type { UnifiedRecord } from '../../data/records';
import { AblationError, planVariants, runAblation, type AblationProgress, type AblationResult, type AblationSpec, type AblationTask } from '../../eval/ablation';
import { renderAblationReport, summaryText } from '../../eval/ablation-report';
import { detectTask } from '../../eval/detect-task';
import { McFormatError, parseMcCsv, parseMcRows } from '../../eval/mc-items';
import { PeftConfigError } from '../../peft';
import { resolveTrainConfig, TrainConfigError } from '../../train/config';
import { trainAdapterRun } from '../../train/adapter-run';
import { BACKEND_FLAG, JSON_FLAG, MODEL_FLAG, bool, num, parse, type FlagSpec } from '../args';
import { writeFileAtomic } from '../atomic';
import type { Command } from '../command';
import { EMBEDDED_MODEL_DIR } from '../embedded-model';
import { asUsageFor, UsageError } from '../errors';
import { tokenizerFrom } from '../model-tokenizer';
import { openModel } from '../runtime';
import { peftConfig, trainOptions, trainOverrides, type Options } from '../train-flags';
import { readPromptFile } from './predict';

export const ABLATE_FLAGS: FlagSpec = {
  config: { type: 'string', value: 'file.json', help: 'the base recipe: an experiment file as webift train --config reads it, whose "data" lists the source files' },
  without: { type: 'string', multiple: true, value: 'source', help: 'a variant without this base source (its id: the file name without extension, or its path)' },
  with: { type: 'string', multiple: true, value: 'file|source', help: 'a variant with this source added (a file, or an id with <id>.jsonl beside the base sources)' },
  eval: { type: 'string', value: 'file', help: 'also score every variant on this file: multiple choice, exact match or perplexity, detected as webift eval does' },
  steps: { type: 'string', value: 'int', help: "optimizer steps per variant (overrides the config's max-steps)" },
  out: { type: 'string', value: 'dir', help: 'where results.json and report.html go (written atomically)' },
  model: { type: 'string', value: 'dir|repo', help: `${MODEL_FLAG.help} (overrides the config's; default: the embedded webift-tiny)` },
  limit: { type: 'string', value: 'int', help: 'score only the first N items of --eval' },
  'max-new-tokens': { type: 'string', value: 'int', default: 128, help: 'exact match on --eval: tokens generated per answer at most' },
  backend: BACKEND_FLAG,
  json: JSON_FLAG,
};

const EXT = /\.(jsonl|json|csv|tsv|parquet)$/i;
const idOf = (file: string) => path.basename(file).replace(EXT, '');

async function readSource(file: string): Promise<UnifiedRecord[]> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fsp.readFile(file));
  } catch {
    throw new UsageError(`${file}: no such file`);
  }
  try {
    const r = await convert(bytes, 'auto', { label: file });
    if (r.rejected.length) throw new UsageError(`${file}: ${r.rejected[0].where}: ${r.rejected[0].reason}${r.rejected.length > 1 ? ` (and ${r.rejected.length - 1} more)` : ''}`);
    if (!r.records.length) throw new UsageError(`${file}: no records`);
    return r.records;
  } catch (e) {
    throw e instanceof ConvertError ? new UsageError(e.message) : e;
  }
}

/** The --eval file as the runner's task: detected as `webift eval` detects it. */
async function readTask(file: string, limit: number | undefined, maxNewTokens: number): Promise<AblationTask> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch {
    throw new UsageError(`--eval ${file}: no such file`);
  }
  const label = path.basename(file);
  const { task } = detectTask(text, file);
  if (task === 'multiple-choice') {
    try {
      const r = /\.csv$/i.test(file) ? parseMcCsv(text, file) : parseMcRows(readJsonRows(text, file).rows, file);
      if (!r.items.length) throw new UsageError(`--eval ${file}: no multiple-choice items`);
      return { kind: task, label, items: r.items.slice(0, limit) };
    } catch (e) {
      throw e instanceof McFormatError || e instanceof ConvertError ? new UsageError(e.message) : e;
    }
  }
  if (task === 'exact-match') return { kind: task, label, rows: (await readPromptFile(file)).slice(0, limit), generation: { maxNewTokens } };
  return { kind: task, label, records: (await readSource(file)).slice(0, limit) };
}

const INPUT_ERRORS = [TrainConfigError, PeftConfigError, AblationError];
const isInputError = (e: unknown) => INPUT_ERRORS.some((c) => e instanceof c);

const asUsage = asUsageFor(...INPUT_ERRORS);

export async function ablateCommand(argv: string[]): Promise<number> {
  const p = parse(argv, ABLATE_FLAGS);
  const json = bool(p, 'json');
  if (typeof p.values.config !== 'string') throw new UsageError('--config is required: the base recipe (an experiment file with "data" listing its sources)');
  if (typeof p.values.out !== 'string') throw new UsageError('--out is required');
  const out = p.values.out;
  // The experiment as train reads it (unknown keys refused); only --model and --steps override it here.
  const o: Options = trainOptions({ values: { config: p.values.config }, positionals: [] });
  if ((o.engine ?? 'webift') !== 'webift') throw new UsageError('webift ablate trains with webift itself: drop "engine" from the config');
  const peft = asUsage(() => peftConfig(o));
  if (!peft) throw new UsageError('webift ablate trains one adapter per variant on a shared base: full fine-tuning ("peft": "full") is not supported');
  for (const k of ['packing', 'resume', 'template']) if (o[k] !== undefined && o[k] !== false) throw new UsageError(`webift ablate does not take "${k}" (drop it from the config)`);
  const steps = num(p, 'steps', { int: true, min: 1 });
  const train = asUsage(() => resolveTrainConfig({ ...trainOverrides(o), ...(steps ? { maxSteps: steps } : {}) }, o.preset as string | undefined));
  const files = typeof o.data === 'string' ? o.data.split(',').map((s) => s.trim()).filter(Boolean) : [];
  if (!files.length) throw new UsageError(`--config ${p.values.config}: "data" must list the base recipe's source files`);
  const base = files.map(idOf);
  const dupe = base.find((id, i) => base.indexOf(id) !== i);
  if (dupe) throw new UsageError(`--config ${p.values.config}: two sources are named '${dupe}' (a source's name is its file name)`);
  const fileOf: Record<string, string> = Object.fromEntries(files.map((f) => [idOf(f), f]));
  const without = ((p.values.without as unknown as string[] | undefined) ?? []).map((w) => (fileOf[w] ? w : idOf(w)));
  const withs = ((p.values.with as unknown as string[] | undefined) ?? []).map((w) => {
    const beside = ['.jsonl', '.json'].map((e) => path.join(path.dirname(files[0]), w + e)).find((f) => existsSync(f));
    const file = EXT.test(w) || existsSync(w) ? w : beside;
    if (!file) throw new UsageError(`--with ${w}: no such file (and no ${w}.jsonl beside the base sources)`);
    fileOf[idOf(file)] ??= file;
    return idOf(file);
  });
  if (!without.length && !withs.length) throw new UsageError('give at least one --without SOURCE or --with SOURCE: an ablation compares variants with the base');
  const changes = [...without.map((s) => ({ without: s })), ...withs.map((s) => ({ with: s }))];
  const sources: Record<string, UnifiedRecord[]> = {};
  for (const [id, f] of Object.entries(fileOf)) if (base.includes(id) || withs.includes(id)) sources[id] = await readSource(f);
  asUsage(() => planVariants({ base, changes, sources }));
  const task = typeof p.values.eval === 'string' ? await readTask(p.values.eval, num(p, 'limit', { int: true, min: 1 }), num(p, 'max-new-tokens', { int: true, min: 1 }) ?? 128) : undefined;

  const modelSpec = (p.values.model as string | undefined) ?? (o.model as string | undefined) ?? EMBEDDED_MODEL_DIR;
  const { model, source, announce } = await openModel(modelSpec, (p.values.backend as string | undefined) ?? (o.backend as string | undefined), json, o);
  let result: AblationResult;
  try {
    const tok = await tokenizerFrom(source);
    if (!tok) throw new UsageError(`${source.label} has no tokenizer.json; training needs one`);
    announce();
    const embedded = path.resolve(modelSpec) === EMBEDDED_MODEL_DIR;
    let last = 0;
    result = await runAblationUsage({
      name: base.join(' + '), model, tokenizer: tok, modelLabel: embedded ? 'webift-tiny (embedded)' : source.label, embedded, sources, base, changes,
      peft, train, trainer: trainAdapterRun, promptFormat: 'alpaca', trainOnInputs: o['train-on-inputs'] === true || o['train-on-inputs'] === 'true', task,
    }, (pr) => {
      if (json || Date.now() - last < 1000) return;
      last = Date.now();
      process.stderr.write(`[${pr.variant + 1}/${pr.variants}] ${pr.id}: ${pr.phase} ${pr.done}/${pr.total}${pr.loss !== undefined ? ` loss ${pr.loss.toFixed(4)}` : ''}\n`);
    });
  } finally {
    model.dispose();
  }
  const report = path.join(out, 'report.html');
  await writeFileAtomic(path.join(out, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
  await writeFileAtomic(report, renderAblationReport(result));
  const table = summaryText(result);
  if (json) {
    process.stderr.write(`${table}\n`);
    const variants = result.variants.map((v) => ({
      id: v.id, label: v.label, change: v.change, records: v.records, final_train_loss: v.finalTrainLoss, eval_loss: v.heldOut.loss, perplexity: v.heldOut.perplexity,
      ...(v.task ? (v.task.accuracy !== undefined ? { accuracy: v.task.accuracy } : { task_perplexity: v.task.perplexity }) : {}), seconds: v.seconds.train + v.seconds.eval,
    }));
    process.stdout.write(`${JSON.stringify({ variants, report })}\n`);
  } else {
    process.stdout.write(`${table}\n`);
    process.stderr.write(`wrote ${path.join(out, 'results.json')} and ${report}\n`);
  }
  return 0;
}

async function runAblationUsage(spec: AblationSpec, onProgress: (p: AblationProgress) => void): Promise<AblationResult> {
  try {
    return await runAblation(spec, { onProgress });
  } catch (e) {
    throw isInputError(e) ? new UsageError((e as Error).message) : e;
  }
}

export const command: Command = {
  name: 'ablate',
  summary: 'ablation: the base recipe and variants with one data source removed or added, same seeds, one report',
  usage: '--config <experiment.json> (--without <source> | --with <file>)... --out <dir> [flags]',
  flags: ABLATE_FLAGS,
  notes: [
    'The config\'s "data" lists the base recipe\'s source files, e.g. ["alpaca.jsonl", "cot-en.jsonl", "cot-cn.jsonl"];',
    'each variant is scored on records held out of every source (the config\'s eval-split per source, 0.1 when 0).',
  ],
  run: ablateCommand,
};
