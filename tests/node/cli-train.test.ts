/**
 * `webift train` end to end on the committed webift-tiny model (public/models) and a small Alpaca-format file:
 * JSON-line events with the contract fields, a falling loss, a PEFT adapter that `generate --adapter` accepts,
 * resume from the last checkpoint, and refusals (over the memory budget, bad data, unknown method) that exit 2
 * with one line and write no adapter.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_MODEL_DIR } from '../helpers/fixtures';
import { webift } from '../helpers/cli';
import { parseConfig } from '../../src/model/config';
import { estimateMemory, WASM_HEAP_FACTOR, type MethodSpec } from '../../src/train/estimate';

const tmp = mkdtempSync(path.join(tmpdir(), 'webift-train-'));
const model = EMBEDDED_MODEL_DIR; // read only: train writes under --out
const data = path.join(tmp, 'data.jsonl');

// Short records so the 928-token vocabulary leaves response tokens inside cutoff 256 (the model's context).
const RECORDS = Array.from({ length: 24 }, (_, i) => ({ instruction: `Say the number ${i}.`, input: '', output: `The number is ${i}.` }));

function events(stdout: string) {
  return stdout.trim().split('\n').map((l) => JSON.parse(l));
}

describe('webift train', () => {
  beforeAll(() => {
    writeFileSync(data, RECORDS.map((r) => JSON.stringify(r)).join('\n') + '\n');
  });

  const base = (out: string, extra: string[] = []) => ['train', '--model', model, '--data', data, '--out', out, '--batch-size', '4', '--grad-accum', '1', '--cutoff-len', '256', '--lr', '3e-3', '--warmup-steps', '0', '--eval-split', '4', '--eval-every', '4', '--checkpoint-every', '4', '--json', ...extra];

  it('emits step events, lowers the loss, and writes a PEFT adapter generate accepts', () => {
    const out = path.join(tmp, 'run');
    const r = webift(base(out, ['--max-steps', '8']), { WEBIFT_BACKEND: 'wasm' });
    expect(r.code, r.stderr).toBe(0);
    const ev = events(r.stdout);
    const steps = ev.filter((e) => e.kind === 'step');
    expect(steps).toHaveLength(8);
    for (const s of steps) for (const k of ['step', 'loss', 'lr', 'gradNorm', 'tokensPerSec', 'etaSeconds', 'memoryBytes']) expect(typeof s[k]).toBe('number');
    expect(steps[7].loss).toBeLessThan(steps[0].loss);
    expect(ev.some((e) => e.kind === 'eval')).toBe(true);
    expect(ev[ev.length - 1]).toEqual({ kind: 'saved', out: path.join(out, 'adapter') });
    const g = webift(['generate', '--model', model, '--adapter', path.join(out, 'adapter'), '--prompt-ids', '1', '--max-new-tokens', '4', '--json']);
    expect(g.code, g.stderr).toBe(0);
  });

  it('resumes from the last checkpoint with the same losses as an uninterrupted run', () => {
    const full = events(webift(base(path.join(tmp, 'full'), ['--max-steps', '8']), { WEBIFT_BACKEND: 'wasm' }).stdout).filter((e) => e.kind === 'step');
    const out = path.join(tmp, 'resumed');
    // Run 8 steps, drop the last checkpoint (step 8) as if the process had died after step 7, resume from step 4.
    expect(webift(base(out, ['--max-steps', '8']), { WEBIFT_BACKEND: 'wasm' }).code).toBe(0);
    rmSync(path.join(out, 'checkpoints', 'step-00000008'), { recursive: true });
    const r = webift(base(out, ['--max-steps', '8', '--resume']), { WEBIFT_BACKEND: 'wasm' });
    expect(r.code, r.stderr).toBe(0);
    const ev = events(r.stdout);
    expect(ev[0]).toMatchObject({ kind: 'start', resumedFrom: 'step-00000004' });
    const resumed = ev.filter((e) => e.kind === 'step');
    expect(resumed.map((e) => e.step)).toEqual([5, 6, 7, 8]);
    expect(resumed.map((e) => e.loss)).toEqual(full.slice(4).map((e) => e.loss));
  });

  it.each([
    [['--max-steps', '2', '--memory-budget-gb', '0.00001'], /training needs ~.*the device allows .* even at micro-batch 1 with recomputation: lower --cutoff-len, or quantize the base \(--quantize int4\)$/],
    [['--max-steps', '2', '--recompute', 'sometimes'], /--recompute must be auto, on or off/],
    [['--max-steps', '2', '--peft', 'lokr'], /--peft must be one of/],
    [['--max-steps', '2', '--lora-r', 'x'], /--lora-r must be an integer/],
  ])('%j exits 2 with one line and writes no adapter', (extra, msg) => {
    const out = path.join(tmp, `refused-${Math.random().toString(36).slice(2)}`);
    const r = webift(base(out, extra).filter((a) => a !== '--json'));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').pop()).toMatch(msg);
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('webift: error'))).toHaveLength(1);
    expect(existsSync(path.join(out, 'adapter'))).toBe(false);
  });

  it('micro-batches (and recomputes where that is still short) when the asked batch does not fit, keeping the effective batch', () => {
    // The budget sits between the memory model's prediction for micro-batch 1 with recomputation and batch 4 with
    // recomputation on webift-tiny (planMemory, tests/train/memory-model.test.ts), so the plan must shrink the micro-batch.
    // On wasm the budget is the heap, of which the tensors get 1 / WASM_HEAP_FACTOR.
    const cfg = parseConfig(JSON.parse(readFileSync(path.join(model, 'config.json'), 'utf8')));
    const lora: MethodSpec = { kind: 'lora', r: 8, targets: ['q_proj', 'v_proj'], plain: true };
    // The subprocess runs wasm on the GEMM pool's threads (2+ hardware threads), so its plan uses that path's model
    // (with fused blocks there: a micro-batch of 2 may then fit without recomputing).
    const opts = { recompute: true, transposeFree: process.env.WEBIFT_THREADS !== '1' };
    const lo = estimateMemory(cfg, lora, 1, 256, opts).totalBytes, hi = estimateMemory(cfg, lora, 4, 256, opts).totalBytes;
    expect(lo).toBeLessThan(hi);
    const out = path.join(tmp, 'planned');
    const r = webift(base(out, ['--max-steps', '1', '--lora-r', '8', '--lora-target-modules', 'q_proj,v_proj', '--memory-budget-gb', String(((lo + hi) / 2) * WASM_HEAP_FACTOR / 2 ** 30)]).filter((a) => a !== '--json'), { WEBIFT_BACKEND: 'wasm' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/memory: ~\d\.\d\d GB predicted of \d\.\d\d GB; to fit: micro-batch [12] × [24] accumulated \(effective batch 4 kept\)(, recomputation on)?( \(|$)/m);
    expect(existsSync(path.join(out, 'adapter', 'adapter_model.safetensors'))).toBe(true);
  });

  it('a data file with no usable record exits 2 naming the first rejection', () => {
    const bad = path.join(tmp, 'bad.jsonl');
    writeFileSync(bad, '{"instruction": "x"}\nnot json\n');
    const r = webift(['train', '--model', model, '--data', bad, '--out', path.join(tmp, 'bad-run'), '--max-steps', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no usable record .*line 1/);
  });
});
