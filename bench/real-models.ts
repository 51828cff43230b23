/**
 * The real user path, measured: writes real-shaped random checkpoints to disk (HF folders: config.json, sharded
 * safetensors with an index, the embedded model's tokenizer), then runs `webift train` on them through the CLI, as a
 * user would, on wasm. Prints one JSON line per run: steps done, tokens/s, peak RSS (GNU time's max resident set),
 * and the memory model's plan and prediction (train/estimate.ts planMemory) for the same settings.
 * Random weights: the numbers measure memory and speed, not learning.
 * With --decode N, each run also decodes N tokens greedily after an 8-token prompt with `webift generate --json`
 * (same quantization) and prints a `real-model-decode` line: its timing object and peak RSS; --no-train skips training.
 * Usage: node --import ./bin/node-env.mjs bench/real-models.ts [--runs smollm2-fp32,smollm2-int4,qwen05-int4,llama1b-int4]
 *   [--dir tmp/bench-models] [--steps N] [--decode N] [--no-train]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/model/config';
import { CONFIGS, writeCheckpoint } from './lib/checkpoints';
import { planMemory, tensorBudget } from '../src/train/estimate';

/** name -> model, quantization, batch, cutoff, steps (the bars). */
const RUNS: Record<string, { model: string; quantize: 'none' | 'int8' | 'int4'; batch: number; cutoff: number; steps: number }> = {
  'smollm2-fp32': { model: 'smollm2', quantize: 'none', batch: 4, cutoff: 256, steps: 1 },
  'smollm2-int4': { model: 'smollm2', quantize: 'int4', batch: 4, cutoff: 256, steps: 1 },
  'qwen05-int4': { model: 'qwen05', quantize: 'int4', batch: 1, cutoff: 256, steps: 2 },
  'llama1b-int4': { model: 'llama1b', quantize: 'int4', batch: 1, cutoff: 256, steps: 1 },
};

const { values } = parseArgs({ options: { runs: { type: 'string' }, dir: { type: 'string' }, steps: { type: 'string' }, 'lora-dropout': { type: 'string' }, decode: { type: 'string' }, 'no-train': { type: 'boolean' } } });
/** LoRA dropout passed to webift train (its default, 0.05, when not given). */
const dropoutArgs = values['lora-dropout'] !== undefined ? ['--lora-dropout', values['lora-dropout']] : [];
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dir = path.resolve(values.dir ?? path.join(root, 'tmp/bench-models'));

/** Records long enough to fill the cutoff with the embedded byte-level tokenizer. */
function writeData(): string {
  const file = path.join(dir, 'long.jsonl');
  const src = readFileSync(path.join(root, 'public/data/synthetic/tasks-en.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { instruction: string; output: string });
  const lines: string[] = [];
  for (let i = 0; i < 64; i++) {
    const parts = Array.from({ length: 8 }, (_, k) => src[(i * 8 + k) % src.length]);
    lines.push(JSON.stringify({ instruction: parts[0].instruction, input: '', output: parts.map((p) => `${p.instruction} ${p.output}`).join(' ') }));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** `webift generate` on the checkpoint: n greedy tokens (eos off) after an 8-token prompt, timed by the CLI itself. */
function decodeRun(runName: string, modelDir: string, quantize: string, n: number): void {
  const args = ['-f', '%M', process.execPath, path.join(root, 'bin/webift.mjs'), 'generate', '--model', modelDir, '--prompt-ids', '1,2,3,4,5,6,7,8',
    '--max-new-tokens', String(n), '--min-new-tokens', String(n), '--quantize', quantize, '--json'];
  const r = spawnSync('/usr/bin/time', args, { encoding: 'utf8', env: { ...process.env, WEBIFT_BACKEND: 'wasm' }, maxBuffer: 1 << 26 });
  const out = r.stdout.split('\n').find((l) => l.startsWith('{'));
  const rssKb = Number(r.stderr.trim().split('\n').pop());
  console.log(JSON.stringify({
    bench: 'real-model-decode', run: runName, backend: 'wasm', quantize, prompt_tokens: 8, new_tokens: n,
    ...(out ? (JSON.parse(out) as { timing: object }).timing : {}), peak_rss_mb: Number.isFinite(rssKb) ? Math.round(rssKb / 1024) : null, exit: r.status,
    ...(r.status !== 0 ? { error: r.stderr.trim().split('\n').slice(-3, -1).join(' | ').slice(0, 300) } : {}),
  }));
}

mkdirSync(dir, { recursive: true });
const data = writeData();
for (const runName of (values.runs ?? 'smollm2-fp32,smollm2-int4,qwen05-int4,llama1b-int4').split(',')) {
  const run = RUNS[runName];
  if (!run) throw new Error(`unknown run '${runName}' (one of ${Object.keys(RUNS).join(', ')})`);
  const steps = Number(values.steps ?? run.steps);
  const modelDir = writeCheckpoint(dir, run.model);
  const cfg = parseConfig(CONFIGS[run.model]);
  const targets = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
  const quant = run.quantize === 'none' ? null : { bits: (run.quantize === 'int4' ? 4 : 8) as 4 | 8, groupSize: 64 };
  // As webift train plans it on wasm: a 4 GB heap, the GEMM pool's threads where this machine has two or more.
  const plan = planMemory(cfg, { kind: 'lora', r: 8, targets, plain: true }, { batch: run.batch, gradAccum: 1, seqLen: run.cutoff, recompute: 'auto', quant, transposeFree: os.availableParallelism() > 1 }, 1 << 30, tensorBudget('wasm', 4 * 2 ** 30));
  if (Number(values.decode ?? 0) > 0) decodeRun(runName, modelDir, run.quantize, Number(values.decode));
  if (values['no-train']) continue;
  const args = ['-f', '%M', process.execPath, path.join(root, 'bin/webift.mjs'), 'train', '--model', modelDir, '--data', data, '--out', path.join(dir, `run-${runName}`),
    '--peft', 'lora', '--lora-r', '8', '--lora-target-modules', targets.join(','), '--batch-size', String(run.batch), '--grad-accum', '1', '--cutoff-len', String(run.cutoff),
    '--max-steps', String(steps), '--eval-split', '0', '--checkpoint-every', '1000', '--quantize', run.quantize, ...dropoutArgs, '--json'];
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', args, { encoding: 'utf8', env: { ...process.env, WEBIFT_BACKEND: 'wasm' }, maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t0) / 1000;
  const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, number | string>);
  const stepEvents = events.filter((e) => e.kind === 'step');
  const rssKb = Number(r.stderr.trim().split('\n').pop());
  console.log(JSON.stringify({
    bench: 'real-model-train', run: runName, backend: 'wasm', batch: run.batch, cutoff: run.cutoff, quantize: run.quantize, lora_dropout: Number(values['lora-dropout'] ?? 0.05), steps_asked: steps,
    steps_done: stepEvents.length, tokens_per_s: stepEvents.length ? +(stepEvents.reduce((a, e) => a + Number(e.tokensPerSec), 0) / stepEvents.length).toFixed(2) : null,
    step_tokens_per_s: stepEvents.map((e) => +Number(e.tokensPerSec).toFixed(2)), // the first step includes warm-up (JIT tier-up, heap growth)
    peak_rss_mb: Number.isFinite(rssKb) ? Math.round(rssKb / 1024) : null, predicted_mb: Math.round(plan.estimate.totalBytes / 2 ** 20), predicted_rss_mb: Math.round(plan.estimate.rssBytes / 2 ** 20),
    plan: { micro_batch: plan.batch, grad_accum: plan.gradAccum, recompute: plan.recompute }, exit: r.status, seconds: +seconds.toFixed(1),
    ...(r.status !== 0 ? { error: r.stderr.trim().split('\n').slice(-3, -1).join(' | ').slice(0, 300) } : {}),
  }));
}
