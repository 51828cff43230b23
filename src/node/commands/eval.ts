/**
 * `webift eval --model M [--adapter A] --data FILE|DIR [--dev FILE|DIR --shots K] [--task auto] [--json]`: detects
 * the task (eval/detect-task.ts) and runs it: multiple choice by log-likelihood (a CMMLU / C-Eval CSV, a folder of
 * them with one subject per file, MMCU JSON, records with options), exact match with answer extraction (GSM8K, CoT
 * records), or eval loss and perplexity (instruction data; --eval-split takes train's held-out part). Per-item
 * results go to --predictions as JSON Lines, written atomically. The last stdout line with --json:
 * {"task", "n", "accuracy", "by_subject", "predictions"}; perplexity has "perplexity" and "loss" instead of accuracy.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { convert, ConvertError } from '../../data/converters';
import { tokenizeRecords } from '../../data/tokenize-example';
import { detectTask, type EvalTask } from '../../eval/detect-task';
import { evaluateExactMatch } from '../../eval/exact-match-eval';
import { McFormatError, parseMcCsv, parseMcRows, type McParse } from '../../eval/mc-items';
import { nextTokenLogits } from '../../eval/model-scoring';
import { evaluateMultipleChoice, type McMessage } from '../../eval/multiple-choice';
import { evaluatePerplexity, heldOutSplit } from '../../eval/perplexity';
import { PredictError } from '../../eval/predict';
import { readJsonRows } from '../../data/converters/rows';
import { GenerationOptionsError } from '../../generate/options';
import type { Adapter } from '../../peft';
import { applyChatTemplate } from '../../tokenizer/chat-template';
import { readAdapterDir } from '../adapter-dir';
import { ADAPTER_FLAG, BACKEND_FLAG, bool, JSON_FLAG, MODEL_FLAG, num, parse, str, type FlagSpec } from '../args';
import { writeFileAtomic } from '../atomic';
import type { Command } from '../command';
import { UsageError } from '../errors';
import { tokenizerFrom } from '../model-tokenizer';
import { QUANT_FLAGS } from '../quant-flags';
import { openModel } from '../runtime';
import { SAMPLING_FLAGS, samplingOptions } from '../sampling-flags';
import { promptFormatOf, readPromptFile } from './predict';

const TASKS = ['auto', 'multiple-choice', 'exact-match', 'perplexity'] as const;

export const EVAL_FLAGS: FlagSpec = {
  model: MODEL_FLAG,
  adapter: ADAPTER_FLAG,
  data: { type: 'string', value: 'file|dir', help: 'the benchmark: CMMLU/C-Eval CSV (or a folder of them), MMCU JSON, records with options, GSM8K/CoT records, or instruction data' },
  dev: { type: 'string', value: 'file|dir', help: 'multiple choice: the dev split the k-shot examples come from (same subject first)' },
  shots: { type: 'string', value: 'int', help: 'multiple choice: solved examples before each question (default 5 with --dev, else 0)' },
  task: { type: 'string', value: TASKS.join('|'), default: 'auto', help: 'what to measure; auto detects it from the file' },
  predictions: { type: 'string', value: 'file.jsonl', help: 'per-item results, written atomically (default: eval-<data name>.jsonl here)' },
  'prompt-format': { type: 'string', value: 'alpaca|chat|auto', default: 'auto', help: 'the Alpaca template (plain text for multiple choice) or the tokenizer\'s chat template; auto = chat when there is one' },
  'batch-size': { type: 'string', value: 'int', default: 8, help: 'exact match: prompts per generate call' },
  limit: { type: 'string', value: 'int', help: 'score only the first N items' },
  'eval-split': { type: 'string', value: 'fraction|count', help: 'perplexity: score only the held-out part, as webift train --eval-split with the same --seed splits it' },
  'cutoff-len': { type: 'string', value: 'int', default: 256, help: 'perplexity: tokens per example at most (as train)' },
  backend: BACKEND_FLAG, json: JSON_FLAG, ...SAMPLING_FLAGS, ...QUANT_FLAGS,
};

/** A file or a folder of *.csv (one subject each) as multiple-choice items. */
async function readMc(spec: string): Promise<McParse> {
  const stat = await fsp.stat(spec);
  const files = stat.isDirectory() ? (await fsp.readdir(spec)).filter((f) => /\.(csv|jsonl?)$/i.test(f)).sort().map((f) => path.join(spec, f)) : [spec];
  if (!files.length) throw new UsageError(`${spec}: no .csv, .json or .jsonl files in the folder`);
  const out: McParse = { items: [], skipped: [] };
  for (const f of files) {
    const text = await fsp.readFile(f, 'utf8');
    try {
      const r = /\.csv$/i.test(f) ? parseMcCsv(text, f) : parseMcRows(readJsonRows(text, f).rows, f);
      out.items.push(...r.items);
      out.skipped.push(...r.skipped);
    } catch (e) {
      throw e instanceof McFormatError || e instanceof ConvertError ? new UsageError(e.message) : e;
    }
  }
  return out;
}

async function firstFile(spec: string): Promise<string> {
  const stat = await fsp.stat(spec);
  if (!stat.isDirectory()) return spec;
  const f = (await fsp.readdir(spec)).filter((n) => /\.(csv|jsonl?)$/i.test(n)).sort()[0];
  if (!f) throw new UsageError(`${spec}: no .csv, .json or .jsonl files in the folder`);
  return path.join(spec, f);
}

export async function evalCommand(argv: string[]): Promise<number> {
  const p = parse(argv, EVAL_FLAGS);
  const json = bool(p, 'json');
  const data = str(p, 'data', true), dev = str(p, 'dev');
  const taskFlag = str(p, 'task') ?? 'auto';
  if (!(TASKS as readonly string[]).includes(taskFlag)) throw new UsageError(`--task must be one of ${TASKS.join(', ')}, got '${taskFlag}'`);
  const shots = num(p, 'shots', { int: true, min: 0 }) ?? (dev ? 5 : 0);
  if (shots > 0 && !dev) throw new UsageError('--shots needs --dev: the file the solved examples come from');
  const limit = num(p, 'limit', { int: true, min: 1 });
  const evalSplit = num(p, 'eval-split', { min: 0 });
  const seed = num(p, 'seed', { int: true }) ?? 42;
  const cutoffLen = num(p, 'cutoff-len', { int: true, min: 2 }) ?? 256;
  const batchSize = num(p, 'batch-size', { int: true, min: 1 }) ?? 8;
  const format = promptFormatOf(str(p, 'prompt-format'));
  let generation;
  try {
    generation = samplingOptions(p);
  } catch (e) {
    throw e instanceof GenerationOptionsError ? new UsageError(e.message) : e;
  }
  const probe = await firstFile(data);
  const detected = taskFlag === 'auto' ? detectTask(await fsp.readFile(probe, 'utf8'), probe) : { task: taskFlag as EvalTask, reason: 'asked with --task' };
  const task = detected.task;
  const predictions = str(p, 'predictions') ?? `eval-${path.basename(data).replace(/\.[^.]+$/, '')}.jsonl`;
  const progress = (done: number, total: number) => void (json || process.stderr.write(`${task}: ${done}/${total}\r`));

  // Read and check the inputs before the model loads.
  let mc: McParse | null = null, devMc: McParse | null = null;
  if (task === 'multiple-choice') {
    mc = await readMc(data);
    if (limit) mc.items = mc.items.slice(0, limit);
    devMc = dev ? await readMc(dev) : null;
    if (!mc.items.length) throw new UsageError(`${data}: no multiple-choice items`);
  }
  const rows = task === 'exact-match' ? (await readPromptFile(probe)).slice(0, limit) : null;
  let records = null;
  if (task === 'perplexity') {
    try {
      const r = await convert(new Uint8Array(await fsp.readFile(probe)), 'auto', { label: probe });
      if (r.rejected.length) throw new UsageError(`${probe}: ${r.rejected[0].where}: ${r.rejected[0].reason}${r.rejected.length > 1 ? ` (and ${r.rejected.length - 1} more)` : ''}`);
      records = r.records;
    } catch (e) {
      throw e instanceof ConvertError ? new UsageError(e.message) : e;
    }
  }

  const { model, source, announce } = await openModel(str(p, 'model', true), str(p, 'backend'), json, p.values);
  let adapter: Adapter | null = null;
  let summary: Record<string, unknown>;
  let lines: unknown[];
  try {
    const tok = await tokenizerFrom(source);
    if (!tok) throw new UsageError(`${source.label} has no tokenizer.json: eval needs one to read the data`);
    const adapterDir = str(p, 'adapter');
    adapter = adapterDir ? await readAdapterDir(model, adapterDir) : null;
    announce();
    if (!json) process.stderr.write(`task: ${task} (${detected.reason})\n`);
    if (mc) {
      const chat = format === 'chat' || (format === 'auto' && !!tok.chatTemplate);
      if (format === 'chat' && !tok.chatTemplate) throw new UsageError(`${source.label} has no chat template for --prompt-format chat`);
      const render = chat ? (msgs: McMessage[]) => applyChatTemplate(tok, msgs, { addGenerationPrompt: true }) : undefined;
      const r = await evaluateMultipleChoice({
        items: mc.items, dev: devMc?.items, shots, tokenizer: tok, logits: nextTokenLogits(model, adapter), render, addSpecialTokens: !chat,
        maxPromptTokens: model.config.maxPositions, onPrediction: (_p, d, t) => progress(d, t),
      });
      lines = r.predictions;
      summary = { task, n: r.n, accuracy: r.accuracy, by_subject: r.bySubject, predictions };
      if (mc.skipped.length && !json) process.stderr.write(`\nskipped ${mc.skipped.length} multi-answer rows (first: ${mc.skipped[0].where})\n`);
    } else if (rows) {
      let r;
      try {
        r = await evaluateExactMatch({ model, tokenizer: tok, adapter, rows, generation, promptFormat: format, batchSize, onProgress: ({ done, total }) => progress(done, total) });
      } catch (e) {
        throw e instanceof PredictError || e instanceof GenerationOptionsError ? new UsageError(e.message) : e;
      }
      lines = r.items;
      summary = { task, n: r.n, accuracy: r.accuracy, by_subject: r.bySubject, predictions };
    } else {
      const tk = tokenizeRecords(records!, tok, { cutoffLen, promptFormat: format === 'auto' ? 'auto' : format });
      if (tk.rejected.length && !json) process.stderr.write(`left out ${tk.rejected.length} records (first: ${tk.rejected[0].where}: ${tk.rejected[0].reason})\n`);
      let examples = tk.examples;
      if (evalSplit) examples = heldOutSplit(examples, evalSplit, seed);
      if (limit) examples = examples.slice(0, limit);
      if (!examples.length) throw new UsageError(`${probe}: no example to score`);
      const r = await evaluatePerplexity({ model, adapter, examples, onItem: (_i, d, t) => progress(d, t) });
      lines = r.items;
      summary = { task, n: r.n, perplexity: r.perplexity, loss: r.loss, by_subject: {}, predictions };
    }
  } finally {
    adapter?.dispose();
    model.dispose();
  }
  await writeFileAtomic(predictions, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    const s = summary as { n: number; accuracy?: number; perplexity?: number; loss?: number; by_subject: Record<string, { n: number; accuracy: number }> };
    process.stderr.write('\n');
    for (const [k, v] of Object.entries(s.by_subject)) process.stdout.write(`${k.padEnd(28)} ${v.accuracy.toFixed(4)}  (n=${v.n})\n`);
    if (s.accuracy !== undefined) process.stdout.write(`${'overall'.padEnd(28)} ${s.accuracy.toFixed(4)}  (n=${s.n})\n`);
    else process.stdout.write(`loss ${s.loss!.toFixed(4)}  perplexity ${s.perplexity!.toFixed(3)}  (n=${s.n})\n`);
    process.stderr.write(`per-item results: ${predictions}\n`);
  }
  return 0;
}

export const command: Command = {
  name: 'eval',
  summary: 'benchmarks: multiple choice by log-likelihood, exact match with answer extraction, or perplexity',
  usage: '--model <dir|repo> --data <file|dir> [--dev <file|dir> --shots K] [flags]',
  flags: EVAL_FLAGS,
  run: evalCommand,
};
