/**
 * `webift train --engine llamafactory`: the same run handed to an installed LLaMA-Factory. Exports it to a work
 * folder beside --out, runs `llamafactory-cli train train.yaml` there, tails output/trainer_log.jsonl as it grows into
 * webift's progress display (the same lines, or JSON events with --json), then loads the adapter LLaMA-Factory
 * wrote onto the model (the import check) and puts it at OUT/adapter, with the work folder kept as OUT/llamafactory.
 * Without llamafactory-cli on PATH it says so in one line and touches nothing; when the engine fails, --out is left
 * as it was and the error carries the exit code and the last lines of the engine's stderr.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, createWriteStream, statSync } from 'node:fs';
import { open, readdir, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';
import type { TrainEvent } from '../../train/trainer';
import { UsageError } from '../errors';
import { progressPrinter } from '../progress';
import { openModel } from '../runtime';
import type { Options } from '../train-flags';
import { importAdapter } from './adapter-import';
import { exportLlamaFactory, OUTPUT_DIR, TRAIN_YAML } from './export-run';
import { takeLines, trainerLogMapper } from './trainer-log';

export const ENGINE_CLI = 'llamafactory-cli';
export const NOT_FOUND = `${ENGINE_CLI} not found on PATH; install LLaMA-Factory or drop --engine`;
const TAIL_LINES = 8;

/** The executable `name` in one of PATH's folders, or null. */
export function findOnPath(name: string, pathVar = process.env.PATH ?? ''): string | null {
  for (const dir of pathVar.split(path.delimiter).filter(Boolean)) {
    const p = path.join(dir, name);
    try {
      if (!statSync(p).isFile()) continue;
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** Reads what was appended to a file since `offset`; a file not there yet reads as nothing. */
async function readFrom(file: string, offset: number): Promise<{ text: string; offset: number }> {
  const fh = await open(file, 'r').catch(() => null);
  if (!fh) return { text: '', offset };
  try {
    const { size } = await fh.stat();
    if (size <= offset) return { text: '', offset };
    const buf = Buffer.alloc(size - offset);
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    return { text: buf.subarray(0, bytesRead).toString('utf8'), offset: offset + bytesRead };
  } finally {
    await fh.close();
  }
}

export interface EngineOptions {
  /** Milliseconds between looks at trainer_log.jsonl; default 500. */
  pollMs?: number;
}

export async function trainWithLlamaFactory(o: Options, opts: EngineOptions = {}): Promise<number> {
  const json = o.json === true;
  const cli = findOnPath(ENGINE_CLI);
  if (!cli) throw new UsageError(NOT_FOUND);
  if (typeof o.out !== 'string') throw new UsageError('--out is required');
  if (o.resume === true) throw new UsageError('--resume continues a webift checkpoint; with --engine llamafactory start the run again (or set resume_from_checkpoint in OUT/llamafactory/train.yaml and run it yourself)');
  if ((o.peft ?? 'lora') === 'full') throw new UsageError('--engine llamafactory brings back a LoRA or DoRA adapter; for --peft full use webift export --format llamafactory and run it yourself');
  const out = path.resolve(o.out);
  const work = path.join(path.dirname(out), `.${path.basename(out)}.llamafactory-${process.pid}-${Date.now().toString(36)}`);
  const summary = await exportLlamaFactory(o, work, { quiet: json });
  if (!json) process.stderr.write(`engine: ${cli} (template ${summary.template}; ${Object.entries(summary.datasets).map(([k, n]) => `${k} ${n}`).join(', ')}; work folder ${work})\n`);

  const show = progressPrinter(json);
  const mapper = trainerLogMapper(summary.trainableParams);
  const emit = (e: TrainEvent) => show(e);
  const outputDir = path.join(work, OUTPUT_DIR);
  const logFile = path.join(outputDir, 'trainer_log.jsonl');
  let offset = 0, pending = '';
  const seenCheckpoints = new Set<string>();
  let lastCheckpoint: string | null = null;
  const drain = async () => {
    const r = await readFrom(logFile, offset);
    offset = r.offset;
    const { records, rest } = takeLines(pending + r.text);
    pending = rest;
    for (const rec of records) for (const e of mapper.map(rec)) emit(e);
    const dirs = await readdir(outputDir).catch(() => [] as string[]);
    for (const d of dirs.filter((x) => /^checkpoint-\d+$/.test(x)).sort((a, b) => Number(a.slice(11)) - Number(b.slice(11)))) {
      if (seenCheckpoints.has(d)) continue;
      seenCheckpoints.add(d);
      lastCheckpoint = d;
      emit({ kind: 'checkpoint', step: Number(d.slice(11)), name: d });
    }
  };

  const child = spawn(cli, ['train', TRAIN_YAML], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  // Everything the engine prints goes to a log file in the work folder (kept with the run); the tail stays in memory.
  const log = createWriteStream(path.join(work, 'llamafactory.log'));
  let errTail: string[] = [], errPart = '';
  child.stdout.on('data', (b: Buffer) => log.write(b));
  child.stderr.on('data', (b: Buffer) => {
    log.write(b);
    const s = b.toString('utf8');
    const lines = (errPart + s).split(/\r?\n|\r/);
    errPart = lines.pop() ?? '';
    errTail = [...errTail, ...lines.filter((l) => l.trim())].slice(-TAIL_LINES);
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, signal: null, error }));
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  let finished = false;
  void exit.then(() => (finished = true));
  while (!finished) {
    await Promise.race([new Promise((r) => setTimeout(r, opts.pollMs ?? 500)), exit]);
    await drain();
  }
  const r = await exit;
  await new Promise<void>((resolve) => log.end(resolve));
  if (r.error || r.code !== 0) {
    if (errPart.trim()) errTail = [...errTail, errPart].slice(-TAIL_LINES);
    const how = r.error ? `could not start (${r.error.message})` : r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
    emit({ kind: 'done', step: mapper.summary('failed', lastCheckpoint).steps, summary: mapper.summary('failed', lastCheckpoint) });
    throw new Error(`${ENGINE_CLI} ${how}${errTail.length ? `: ${errTail.map((l) => l.trim()).join(' | ')}` : ''} (--out unchanged; the run's files are in ${work})`);
  }

  // The import check: the adapter must load onto the model in webift before it replaces anything under --out.
  const { model } = await openModel(o.model as string, o.backend as string | undefined, true, o);
  try {
    const adapter = await importAdapter(model, outputDir, path.join(out, 'adapter'));
    adapter.dispose();
  } finally {
    model.dispose();
  }
  const kept = path.join(out, 'llamafactory');
  await rm(kept, { recursive: true, force: true });
  await rename(work, kept);
  const done = mapper.summary('completed', lastCheckpoint);
  emit({ kind: 'done', step: done.steps, summary: done });
  const where = path.join(o.out, 'adapter');
  if (json) process.stdout.write(`${JSON.stringify({ kind: 'saved', out: where })}\n`);
  else process.stderr.write(`saved adapter to ${where} (LLaMA-Factory's run: ${kept})\n`);
  return 0;
}
