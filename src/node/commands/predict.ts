/**
 * `webift predict --model M [--adapter A] --data FILE --out results.jsonl [sampling flags] [--json]`: batch
 * prediction (eval/predict.ts) to JSON Lines {id, prompt, output, question, set?, reference?, finish_reason}. The
 * results are appended after every batch, so a rerun skips the ids already in --out; a last line cut short by a
 * crash is cut off and redone. FILE is JSON or JSON Lines: unified records, the AlpaGasus test sets, GSM8K, {prompt}.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { GenerationOptionsError } from '../../generate/options';
import { parsePromptRows, PromptRowError, type PromptRow } from '../../eval/prompt-rows';
import { predict, PredictError, type PredictionLine, type PromptFormat } from '../../eval/predict';
import type { Adapter } from '../../peft';
import { readAdapterDir } from '../adapter-dir';
import { ADAPTER_FLAG, BACKEND_FLAG, bool, JSON_FLAG, MODEL_FLAG, num, parse, str, type FlagSpec } from '../args';
import type { Command } from '../command';
import { UsageError } from '../errors';
import { appendJsonl, readJsonlForResume } from '../jsonl-resume';
import { tokenizerFrom } from '../model-tokenizer';
import { QUANT_FLAGS } from '../quant-flags';
import { openModel } from '../runtime';
import { SAMPLING_FLAGS, samplingOptions } from '../sampling-flags';

export const PREDICT_FLAGS: FlagSpec = {
  model: MODEL_FLAG,
  adapter: ADAPTER_FLAG,
  data: { type: 'string', value: 'file', help: 'JSON / JSON Lines of prompts: unified records, AlpaGasus test sets (Koala, Vicuna, WizardLM, Self-Instruct), GSM8K or {prompt}' },
  out: { type: 'string', value: 'file.jsonl', help: 'results, one JSON line per prompt; an existing file is resumed (its ids are skipped)' },
  'prompt-format': { type: 'string', value: 'alpaca|chat|auto', default: 'auto', help: 'the Alpaca template, the tokenizer\'s chat template, or chat when the tokenizer has one' },
  'batch-size': { type: 'string', value: 'int', default: 8, help: 'prompts per generate call (left-padded)' },
  limit: { type: 'string', value: 'int', help: 'predict only the first N prompts of the file' },
  backend: BACKEND_FLAG, json: JSON_FLAG, ...SAMPLING_FLAGS, ...QUANT_FLAGS,
};

export async function readPromptFile(file: string): Promise<PromptRow[]> {
  try {
    return parsePromptRows(await fsp.readFile(file, 'utf8'), file);
  } catch (e) {
    throw e instanceof PromptRowError ? new UsageError(e.message) : e;
  }
}

export function promptFormatOf(v: string | undefined): PromptFormat {
  const f = v ?? 'auto';
  if (f !== 'alpaca' && f !== 'chat' && f !== 'auto') throw new UsageError(`--prompt-format must be alpaca, chat or auto, got '${f}'`);
  return f;
}

export async function predictCommand(argv: string[]): Promise<number> {
  const p = parse(argv, PREDICT_FLAGS);
  const json = bool(p, 'json');
  const data = str(p, 'data', true), out = str(p, 'out', true);
  const format = promptFormatOf(str(p, 'prompt-format'));
  const batchSize = num(p, 'batch-size', { int: true, min: 1 }) ?? 8;
  const limit = num(p, 'limit', { int: true, min: 1 });
  let generation;
  try {
    generation = samplingOptions(p);
  } catch (e) {
    throw e instanceof GenerationOptionsError ? new UsageError(e.message) : e;
  }
  let rows = await readPromptFile(data);
  if (limit) rows = rows.slice(0, limit);
  const prior = await readJsonlForResume<PredictionLine>(out, true);
  const done = new Set(prior.lines.map((l) => String(l.id)));
  if (prior.cut && !json) process.stderr.write(`${out}: cut off a partial last line (${prior.cut} bytes) left by an interrupted run; it is predicted again\n`);
  await fsp.mkdir(path.dirname(path.resolve(out)), { recursive: true });

  const { model, source, announce } = await openModel(str(p, 'model', true), str(p, 'backend'), json, p.values);
  let adapter: Adapter | null = null;
  try {
    const tokenizer = await tokenizerFrom(source);
    if (!tokenizer) throw new UsageError(`${source.label} has no tokenizer.json: predict needs one to read the prompts`);
    const adapterDir = str(p, 'adapter');
    adapter = adapterDir ? await readAdapterDir(model, adapterDir) : null;
    announce();
    const t0 = Date.now();
    let r;
    try {
      r = await predict({
        model, tokenizer, adapter, rows, done, generation, promptFormat: format, batchSize,
        onResults: (lines) => appendJsonl(out, lines),
        onProgress: ({ done: d, total }) => void (json || process.stderr.write(`predicted ${d}/${total}\r`)),
      });
    } catch (e) {
      throw e instanceof PredictError || e instanceof GenerationOptionsError ? new UsageError(e.message) : e;
    }
    const summary = { out, n: rows.length, generated: r.generated, skipped: r.skipped, seconds: (Date.now() - t0) / 1000 };
    if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else process.stderr.write(`\npredicted ${r.generated} prompts (${r.skipped} already in ${out}) in ${summary.seconds.toFixed(1)} s\n`);
  } finally {
    adapter?.dispose();
    model.dispose();
  }
  return 0;
}

export const command: Command = {
  name: 'predict',
  summary: 'batch prediction over a dataset to JSON Lines {id, prompt, output}; a rerun resumes',
  usage: '--model <dir|repo> --data <file> --out <results.jsonl> [flags]',
  flags: PREDICT_FLAGS,
  run: predictCommand,
};
