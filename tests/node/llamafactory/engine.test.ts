/**
 * `webift train --engine llamafactory` against a stand-in `llamafactory-cli` put on PATH: a small node script that
 * records its arguments and the folder it was started in, checks for the exported files, appends trainer_log.jsonl
 * records over time (one line in two writes) as LLaMA-Factory's LogCallback does, makes a checkpoint folder and
 * writes a PEFT adapter. The adapter is a real LoRA for webift-tiny made with webift's own writer, with the fields
 * peft 0.18 (LLaMA-Factory's pin) adds to adapter_config.json, so the import check is real: it must load through the
 * CLI's reader and through the app's import handler. Also: the engine failing (exit code and stderr tail in one
 * message, --out untouched) and the engine missing (one line, nothing written).
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { tf } from '../../../src/kernels/tf';
import { loadModel } from '../../../src/model/load';
import { adapterTensors, attachAdapter, loraConfig, saveAdapter } from '../../../src/peft';
import { initBackend } from '../../../src/platform/backend';
import { readAdapterDir } from '../../../src/node/adapter-dir';
import { trainCommand } from '../../../src/node/commands/train';
import { folderSource } from '../../../src/node/fs-source';
import { NOT_FOUND } from '../../../src/node/llamafactory/engine';
import { importAdapter } from '../../../src/worker-handlers/train-export';
import { newSession } from '../../../src/worker-handlers/session';
import { EMBEDDED_MODEL_DIR } from '../../helpers/fixtures';
import { webift } from '../../helpers/cli';

const tmp = mkdtempSync(path.join(tmpdir(), 'webift-lf-engine-'));
const bin = path.join(tmp, 'bin');
const fixture = path.join(tmp, 'lora-fixture');
const data = path.join(tmp, 'data.jsonl');
const backend = initBackend({ prefer: ['cpu'] });
let trained: Record<string, number[]>;

/** What LogCallback.on_log writes (src/llamafactory/train/callbacks.py): Python timedelta strings for the times. */
const LOG = [
  { current_steps: 1, total_steps: 3, loss: 2.5, lr: 5e-5, epoch: 0.33, percentage: 33.33, elapsed_time: '0:00:01', remaining_time: '0:00:02', throughput: 120.5, total_tokens: 96 },
  { current_steps: 2, total_steps: 3, loss: 2.25, lr: 1e-4, epoch: 0.67, percentage: 66.67, elapsed_time: '0:00:02', remaining_time: '0:00:01', throughput: 130, total_tokens: 192 },
  { current_steps: 2, total_steps: 3, eval_loss: 2.4, epoch: 0.67, percentage: 66.67, elapsed_time: '0:00:02', remaining_time: '0:00:01' },
  { current_steps: 3, total_steps: 3, loss: 2, lr: 5e-5, epoch: 1, percentage: 100, elapsed_time: '0:00:03', remaining_time: '1 day, 0:00:00', throughput: 140, total_tokens: 288 },
];

/**
 * Fields peft >= 0.17 adds to a LoraConfig's adapter_config.json (peft_version from 0.18), at their defaults: as seen
 * in adapter_config.json files saved by those versions.
 */
const PEFT_018_FIELDS = {
  peft_version: '0.18.1', qalora_group_size: 16, use_qalora: false, lora_bias: false, target_parameters: null, trainable_token_indices: null,
  exclude_modules: null, corda_config: null, eva_config: null,
};

const STANDIN = `#!${process.execPath}
// A stand-in for llamafactory-cli: records how it was called, then behaves like a short LoRA run.
import fs from 'node:fs';
import path from 'node:path';
const args = process.argv.slice(2);
const cwd = process.cwd();
const yaml = fs.existsSync(args[1] ?? '') ? fs.readFileSync(args[1], 'utf8') : '';
fs.writeFileSync('standin-seen.json', JSON.stringify({ args, cwd, yaml, files: fs.readdirSync(cwd).sort() }));
if (args[0] !== 'train' || args.length !== 2 || !yaml) { console.error('stand-in: expected train <yaml>'); process.exit(64); }
const get = (k) => /^([^:]+): (.*)$/m.exec(yaml.split('\\n').find((l) => l.startsWith(k + ': ')) ?? '')?.[2];
const out = path.join(cwd, get('output_dir'));
fs.mkdirSync(out, { recursive: true });
const log = path.join(out, 'trainer_log.jsonl');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const lines = ${JSON.stringify(LOG.map((l) => JSON.stringify(l)))};
for (const [i, line] of lines.entries()) {
  if (i === 1) { fs.appendFileSync(log, line.slice(0, 20)); await sleep(120); fs.appendFileSync(log, line.slice(20) + '\\n'); }
  else fs.appendFileSync(log, line + '\\n');
  if (i === 1) fs.mkdirSync(path.join(out, 'checkpoint-2'));
  if (process.env.STANDIN_FAIL && i === 0) {
    for (let k = 0; k < 12; k++) console.error('[INFO] loading shard ' + k);
    console.error('Traceback (most recent call last):');
    console.error('torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB');
    process.exit(3);
  }
  await sleep(120);
}
const cfg = JSON.parse(fs.readFileSync(path.join(process.env.STANDIN_ADAPTER, 'adapter_config.json'), 'utf8'));
Object.assign(cfg, ${JSON.stringify(PEFT_018_FIELDS)}, { base_model_name_or_path: get('model_name_or_path') });
fs.writeFileSync(path.join(out, 'adapter_config.json'), JSON.stringify(cfg, null, 2));
fs.copyFileSync(path.join(process.env.STANDIN_ADAPTER, 'adapter_model.safetensors'), path.join(out, 'adapter_model.safetensors'));
console.log('[INFO] Saving model checkpoint to ' + out);
`;

beforeAll(async () => {
  await backend;
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'llamafactory-cli'), STANDIN);
  chmodSync(path.join(bin, 'llamafactory-cli'), 0o755);
  writeFileSync(data, Array.from({ length: 12 }, (_, i) => JSON.stringify({ instruction: `Say ${i}.`, input: '', output: `${i}` })).join('\n') + '\n');
  // A real LoRA for webift-tiny through webift's own writer; B starts at 0, so every tensor gets seeded values.
  const model = await loadModel(folderSource(EMBEDDED_MODEL_DIR));
  const adapter = attachAdapter(model, loraConfig({ r: 4, lora_alpha: 8, lora_dropout: 0.05, target_modules: ['q_proj', 'v_proj'] }), { seed: 3 });
  let seed = 11;
  for (const v of adapter.params.values()) tf.tidy(() => v.assign(tf.randomNormal(v.shape, 0, 0.05, 'float32', seed++)));
  const files = await saveAdapter(adapter, { baseModelNameOrPath: EMBEDDED_MODEL_DIR });
  trained = Object.fromEntries(Object.entries(await adapterTensors(adapter)).map(([k, t]) => [k, Array.from(t.data)]));
  mkdirSync(fixture);
  writeFileSync(path.join(fixture, 'adapter_config.json'), files.config);
  writeFileSync(path.join(fixture, 'adapter_model.safetensors'), files.weights);
  adapter.dispose();
  model.dispose();
});

const env0 = { PATH: process.env.PATH, STANDIN_ADAPTER: process.env.STANDIN_ADAPTER, STANDIN_FAIL: process.env.STANDIN_FAIL };
afterEach(() => {
  for (const [k, v] of Object.entries(env0)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
});

/** Runs `webift train` in this process with the stand-in first on PATH; returns stdout and stderr. */
async function train(args: string[], env: Record<string, string> = {}): Promise<{ code: number | Error; stdout: string; stderr: string }> {
  Object.assign(process.env, { PATH: `${bin}${path.delimiter}${process.env.PATH}`, STANDIN_ADAPTER: fixture }, env);
  const out: string[] = [], err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  try {
    const code = await trainCommand(args).catch((x: Error) => x);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const base = (out: string) => ['--engine', 'llamafactory', '--model', EMBEDDED_MODEL_DIR, '--data', data, '--out', out, '--lora-r', '4', '--lora-alpha', '8', '--max-steps', '3', '--batch-size', '2', '--grad-accum', '1', '--eval-split', '2', '--eval-every', '2', '--backend', 'cpu'];

describe('webift train --engine llamafactory', () => {
  it('runs llamafactory-cli on the export, streams its trainer_log as train events, and imports the adapter', async () => {
    const out = path.join(tmp, 'run');
    const r = await train([...base(out), '--json']);
    expect(r.code, r.code instanceof Error ? r.code.message : r.stderr).toBe(0);
    const seen = JSON.parse(readFileSync(path.join(out, 'llamafactory', 'standin-seen.json'), 'utf8'));
    expect(seen.args).toEqual(['train', 'train.yaml']);
    expect(readFileSync(path.join(out, 'llamafactory', 'llamafactory.log'), 'utf8')).toContain('[INFO] Saving model checkpoint to');
    expect(seen.files).toEqual(expect.arrayContaining(['README.md', 'dataset_info.json', 'ds_z2_config.json', 'train.yaml', 'train_deepspeed.yaml', 'webift_alpaca.jsonl']));
    expect(seen.yaml).toMatch(/^lora_rank: 4$/m);
    expect(seen.yaml).toMatch(/^max_steps: 3$/m);
    expect(seen.yaml).toMatch(/^template: alpaca$/m);

    const ev = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    // r=4 on q_proj and v_proj (128 -> 128) of 4 layers: 4 * 2 * 4 * (128 + 128) = 8192 parameters.
    expect(ev[0]).toEqual({ kind: 'start', step: 0, totalSteps: 3, trainableParams: 8192, resumedFrom: null });
    expect(ev.filter((e) => e.kind === 'step')).toEqual([
      // LLaMA-Factory logs no gradient norm and (without RECORD_VRAM) no memory: NaN, i.e. null in JSON.
      { kind: 'step', step: 1, epoch: 0.33, loss: 2.5, lr: 5e-5, gradNorm: null, tokensPerSec: 120.5, etaSeconds: 2, memoryBytes: null },
      { kind: 'step', step: 2, epoch: 0.67, loss: 2.25, lr: 1e-4, gradNorm: null, tokensPerSec: 130, etaSeconds: 1, memoryBytes: null },
      { kind: 'step', step: 3, epoch: 1, loss: 2, lr: 5e-5, gradNorm: null, tokensPerSec: 140, etaSeconds: 86400, memoryBytes: null },
    ]);
    expect(ev.filter((e) => e.kind === 'eval')).toEqual([{ kind: 'eval', step: 2, evalLoss: 2.4 }]);
    expect(ev.filter((e) => e.kind === 'checkpoint')).toEqual([{ kind: 'checkpoint', step: 2, name: 'checkpoint-2' }]);
    const done = ev[ev.length - 2];
    expect(done).toMatchObject({ kind: 'done', step: 3, summary: { status: 'completed', steps: 3, totalSteps: 3, finalLoss: 2, finalEvalLoss: 2.4, tokens: 288, lastCheckpoint: 'checkpoint-2' } });
    expect(ev[ev.length - 1]).toEqual({ kind: 'saved', out: path.join(out, 'adapter') });

    // The adapter loads in the CLI (generate/chat/export read it with readAdapterDir) and in the app (the import
    // handler), with the tensors webift wrote; the files are LLaMA-Factory's, byte for byte (peft 0.18 fields kept).
    for (const f of ['adapter_config.json', 'adapter_model.safetensors']) expect(readFileSync(path.join(out, 'adapter', f))).toEqual(readFileSync(path.join(out, 'llamafactory', 'output', f)));
    const cfg = JSON.parse(readFileSync(path.join(out, 'adapter', 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ peft_version: '0.18.1', qalora_group_size: 16, base_model_name_or_path: path.resolve(EMBEDDED_MODEL_DIR) });
    const model = await loadModel(folderSource(EMBEDDED_MODEL_DIR));
    const cli = await readAdapterDir(model, path.join(out, 'adapter'));
    const got = Object.fromEntries(Object.entries(await adapterTensors(cli)).map(([k, t]) => [k, Array.from(t.data)]));
    expect(got).toEqual(trained);
    cli.dispose();
    const session = newSession(backend);
    session.source = folderSource(EMBEDDED_MODEL_DIR);
    session.model = model;
    const app = await importAdapter(session, { config: readFileSync(path.join(out, 'adapter', 'adapter_config.json'), 'utf8'), weights: new Uint8Array(readFileSync(path.join(out, 'adapter', 'adapter_model.safetensors'))), label: 'adapter from LLaMA-Factory' });
    expect(app).toMatchObject({ method: 'LORA', trainableParams: 8192 });
    session.adapter?.dispose();
    model.dispose();
    expect(readdirSync(tmp).filter((f) => f.startsWith('.run.llamafactory'))).toEqual([]);
  });

  it('an engine failure is one message with its exit code and stderr tail, and --out stays as it was', async () => {
    const out = path.join(tmp, 'failed');
    mkdirSync(path.join(out, 'adapter'), { recursive: true });
    writeFileSync(path.join(out, 'adapter', 'adapter_config.json'), 'previous');
    const r = await train(base(out), { STANDIN_FAIL: '1' });
    expect(r.code).toBeInstanceOf(Error);
    const msg = (r.code as Error).message;
    expect(msg.split('\n')).toHaveLength(1);
    expect(msg).toMatch(/^llamafactory-cli exited with code 3: .*Traceback \(most recent call last\): \| torch\.OutOfMemoryError: CUDA out of memory\. Tried to allocate 20\.00 MiB \(--out unchanged; the run's files are in /);
    expect(msg).not.toContain('loading shard 0'); // only the last lines
    expect(readdirSync(out)).toEqual(['adapter']);
    expect(readFileSync(path.join(out, 'adapter', 'adapter_config.json'), 'utf8')).toBe('previous');
    // The text display showed the step the engine logged before it died.
    expect(r.stderr).toContain('training 8,192 parameters for 3 steps');
    expect(r.stderr).toMatch(/step 1\/3 \[=+ *\] loss 2\.5000 lr 5\.00e-5 120\.5 tok\/s ETA 2s/);
  });

  it.each([
    [['--engine', 'deepspeed'], /^--engine must be webift or llamafactory, got 'deepspeed'$/],
    [['--template', 'qwen'], /^--template picks a LLaMA-Factory template: it goes with --engine llamafactory/],
    [['--engine', 'llamafactory', '--resume'], /^--resume continues a webift checkpoint/],
    [['--engine', 'llamafactory', '--peft', 'full'], /^--engine llamafactory brings back a LoRA or DoRA adapter/],
  ])('%j is refused before anything runs', async (extra, msg) => {
    const out = path.join(tmp, `refused-${Math.random().toString(36).slice(2)}`);
    const r = await train(['--model', EMBEDDED_MODEL_DIR, '--data', data, '--out', out, '--backend', 'cpu', ...extra]);
    expect(r.code).toBeInstanceOf(Error);
    expect((r.code as Error).message).toMatch(msg);
    expect(existsSync(out)).toBe(false);
  });

  it('without llamafactory-cli on PATH: one line, exit 2, nothing written', () => {
    const out = path.join(tmp, 'nowhere');
    const r = webift(['train', ...base(out)], { PATH: path.join(tmp, 'empty-path') });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`webift: error: ${NOT_FOUND}\n`);
    expect(NOT_FOUND).toBe('llamafactory-cli not found on PATH; install LLaMA-Factory or drop --engine');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.startsWith('.nowhere'))).toEqual([]);
  });
});
