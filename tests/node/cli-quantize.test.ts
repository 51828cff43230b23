/**
 * The --quantize flags (src/node/quant-flags.ts, one table shared by train, generate, chat and logits): parsing and
 * refusals in-process, then `webift train --quantize int4` on the embedded webift-tiny model as a subprocess (wasm):
 * it trains, reports each tensor's error, and writes an ordinary PEFT adapter that the f32 base loads in `generate`.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { QUANT_FLAGS, quantizerFrom } from '../../src/node/quant-flags';
import { TRAIN_FLAGS, trainOptions } from '../../src/node/train-flags';
import { GENERATE_FLAGS } from '../../src/node/commands/generate';
import { LOGITS_FLAGS } from '../../src/node/commands/logits';
import { parse } from '../../src/node/args';
import { EMBEDDED_MODEL_DIR, SYNTHETIC_DIR } from '../helpers/fixtures';
import { webift } from '../helpers/cli';

const tmp = mkdtempSync(path.join(tmpdir(), 'webift-quant-'));

describe('--quantize flags', () => {
  it('map to a quantizer spec: none -> null, int4 g64 symmetric by default, int8 g128 asymmetric when asked', () => {
    expect(quantizerFrom({})).toBeNull();
    expect(quantizerFrom({ quantize: 'none' })).toBeNull();
    expect(quantizerFrom({ quantize: 'int4' })!.spec).toEqual({ bits: 4, groupSize: 64, symmetric: true });
    expect(quantizerFrom({ quantize: 'int8', 'group-size': '128', 'quant-asym': true })!.spec).toEqual({ bits: 8, groupSize: 128, symmetric: false });
  });

  it.each([
    [{ quantize: 'int3' }, /--quantize must be one of none, int8, int4, got 'int3'/],
    [{ quantize: 'int4', 'group-size': '12' }, /--group-size: .*multiple of 8.*got '12'/],
    [{ quantize: 'int4', 'group-size': 'abc' }, /--group-size/],
    [{ 'group-size': '32' }, /--group-size applies only with --quantize int8 or int4/],
    [{ 'quant-asym': true }, /--quant-asym applies only/],
  ])('%j is refused', (values, msg) => {
    expect(() => quantizerFrom(values as Record<string, string | boolean>)).toThrow(msg);
  });

  it('one table in every model command; a --config file may use the same keys', () => {
    for (const table of [TRAIN_FLAGS, GENERATE_FLAGS, LOGITS_FLAGS]) for (const k of Object.keys(QUANT_FLAGS)) expect(table[k]).toEqual(QUANT_FLAGS[k]);
    const file = path.join(tmp, 'exp.json');
    writeFileSync(file, JSON.stringify({ quantize: 'int4', groupSize: 32, quantAsym: true }));
    const o = trainOptions(parse(['--config', file], TRAIN_FLAGS));
    expect(quantizerFrom(o)!.spec).toEqual({ bits: 4, groupSize: 32, symmetric: false });
  });
});

describe('webift train --quantize int4 (webift-tiny, wasm)', () => {
  const data = path.join(tmp, 'data.jsonl');
  writeFileSync(data, readFileSync(path.join(SYNTHETIC_DIR, 'tasks-en.jsonl'), 'utf8').split('\n').slice(0, 24).join('\n') + '\n');
  const out = path.join(tmp, 'run');
  const report = path.join(tmp, 'report.json');
  writeFileSync(path.join(tmp, 'inputs.json'), JSON.stringify({ input_ids: [[1, 5, 9]] }));

  it('trains, reports each tensor, and saves an adapter the f32 base loads', () => {
    const r = webift(['train', '--model', EMBEDDED_MODEL_DIR, '--data', data, '--out', out, '--quantize', 'int4', '--quant-report', report, '--max-steps', '2', '--batch-size', '2',
      '--cutoff-len', '64', '--lr', '3e-3', '--warmup-steps', '0', '--eval-split', '0', '--lora-target-modules', 'all-linear', '--json'], { WEBIFT_BACKEND: 'wasm' });
    expect(r.code, r.stderr).toBe(0);
    const ev = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const steps = ev.filter((e) => e.kind === 'step');
    expect(steps).toHaveLength(2);
    for (const s of steps) expect(Number.isFinite(s.loss)).toBe(true);
    // 4 layers x 7 projections, the embedding (head layout) and the untied lm_head.
    const rep = JSON.parse(readFileSync(report, 'utf8')) as { name: string; count: number; relRmsError: number }[];
    expect(rep).toHaveLength(30);
    expect(rep.find((t) => t.name === 'embed')!.count).toBe(928 * 128);
    for (const t of rep) expect(t.relRmsError).toBeGreaterThan(0);
    const config = readFileSync(path.join(out, 'adapter', 'adapter_config.json'), 'utf8');
    expect(config).not.toMatch(/quant|int4|group_size|bnb/i);
    expect(existsSync(path.join(out, 'adapter', 'adapter_model.safetensors'))).toBe(true);
    const g = webift(['generate', '--model', EMBEDDED_MODEL_DIR, '--adapter', path.join(out, 'adapter'), '--prompt', 'Convert 3 kilograms to grams.', '--max-new-tokens', '4', '--json'], { WEBIFT_BACKEND: 'wasm' });
    expect(g.code, g.stderr).toBe(0);
    expect(JSON.parse(g.stdout).ids.length).toBeGreaterThan(0);
  });

  it('generate --quantize int8 prints the quantization summary after the backend line', () => {
    const g = webift(['generate', '--model', EMBEDDED_MODEL_DIR, '--quantize', 'int8', '--group-size', '32', '--prompt-ids', '1,5,9', '--max-new-tokens', '2'], { WEBIFT_BACKEND: 'wasm' });
    expect(g.code, g.stderr).toBe(0);
    const lines = g.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^backend: /);
    expect(lines[1]).toMatch(/^quantized int8 g32 sym: weights 4\.2 MB -> 1\.\d MB; 30 tensors, rel\. RMS error/);
  });

  it.each([
    ['generate', ['generate', '--model', EMBEDDED_MODEL_DIR, '--prompt-ids', '1', '--quantize', 'int3'], /--quantize must be one of/],
    ['logits', ['logits', '--model', EMBEDDED_MODEL_DIR, '--inputs', path.join(tmp, 'inputs.json'), '--out', path.join(tmp, 'x.safetensors'), '--group-size', '64'], /--group-size applies only/],
    ['chat', ['chat', '--model', EMBEDDED_MODEL_DIR, '--quantize', 'bogus'], /--quantize must be one of/],
    ['train', ['train', '--model', EMBEDDED_MODEL_DIR, '--data', data, '--out', path.join(tmp, 'full'), '--peft', 'full', '--quantize', 'int4'], /--peft full .* unquantized base/],
  ])('%s with a bad quantization request exits 2 with one line', (_c, args, msg) => {
    const r = webift(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(msg);
  });
});
