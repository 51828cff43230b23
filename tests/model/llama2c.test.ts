/**
 * The llama2.c converter end to end: stories260K.bin + tok512.bin -> HF folder -> loadModel -> greedy decoding from
 * BOS reproduces expected_greedy.json token for token (the ids of an independent numpy llama2.c forward; stop at BOS
 * or after max_steps, as run.c does). Also: the unshared-classifier path, the RoPE permutation on its own, and that a
 * truncated checkpoint is refused with the byte counts and leaves nothing behind. Backend: cpu.
 */
import { mkdtempSync, readdirSync, readFileSync, existsSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { initBackend } from '../../src/platform/backend';
import { loadModel } from '../../src/model/load';
import { forward } from '../../src/model/transformer';
import { createCache, disposeCache } from '../../src/model/kv-cache';
import { convertLlama2cCheckpoint, permuteRope } from '../../src/model/llama2c';
import type { Model } from '../../src/model/types';
import { convertLlama2c } from '../../src/node/convert-llama2c';
import { folderSource } from '../../src/node/fs-source';
import { TextTokenizer } from '../../src/tokenizer/tokenizer';
import { haveShared, sharedPath, readJson } from '../helpers/fixtures';

const DIR = sharedPath('data/tiny-models/stories260K');
const CKPT = path.join(DIR, 'stories260K.bin');
const TOK = path.join(DIR, 'tok512.bin');

/** Greedy decoding as run.c with temperature 0: feed one token at a time through the KV cache, argmax (first max). */
function greedyFromBos(model: Model, maxSteps: number): number[] {
  const cache = createCache(model.config.layers);
  const out: number[] = [];
  let token = 1;
  for (let step = 0; step < maxSteps; step++) {
    const { logits } = forward(model, { ids: Int32Array.of(token), B: 1, T: 1 }, { cache, lastOnly: true }); // (1, 1, V)
    const row = logits!.dataSync();
    logits!.dispose();
    let next = 0;
    for (let i = 1; i < row.length; i++) if (row[i] > row[next]) next = i;
    if (next === 1) break; // BOS delimits stories
    out.push(next);
    token = next;
  }
  disposeCache(cache);
  return out;
}

describe.skipIf(!haveShared('llama2.c stories260K -> HF checkpoint', 'data/tiny-models/stories260K'))('llama2.c stories260K -> HF checkpoint', () => {
  let work: string;
  let out: string;
  beforeAll(async () => {
    await initBackend({ prefer: ['cpu'] });
    work = mkdtempSync(path.join(tmpdir(), 'webift-llama2c-'));
    out = path.join(work, 'stories260K');
    await convertLlama2c({ checkpoint: CKPT, tokenizer: TOK, out });
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('writes the five files and a Llama config', () => {
    expect(readdirSync(out).sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const cfg = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({
      model_type: 'llama', hidden_size: 64, intermediate_size: 172, num_hidden_layers: 5, num_attention_heads: 8, num_key_value_heads: 4,
      vocab_size: 512, max_position_embeddings: 512, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true, bos_token_id: 1, eos_token_id: 2,
    });
    expect(readdirSync(work)).toEqual(['stories260K']); // no temp folders left beside it
  });

  it('reproduces expected_greedy.json exactly from BOS, without leaking tensors', async () => {
    const expected = readJson<{ note: string; max_steps: number; token_ids: number[]; text: string }>(path.join(DIR, 'expected_greedy.json'));
    expect(expected.note).toMatch(/stops at BOS or after max_steps/);
    const before = tf.memory().numTensors;
    const model = await loadModel(folderSource(out));
    const ids = greedyFromBos(model, expected.max_steps);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(ids).toEqual(expected.token_ids);

    const tok = new TextTokenizer(JSON.parse(readFileSync(path.join(out, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(path.join(out, 'tokenizer_config.json'), 'utf8')));
    expect(tok.decode(ids)).toBe(expected.text);
  });

  it('converts an unshared classifier to lm_head.weight (same greedy tokens)', async () => {
    // Same weights, stored the other way: vocab_size negated and the embedding appended as wcls.
    const bytes = new Uint8Array(readFileSync(CKPT));
    const unshared = new Uint8Array(bytes.length + 512 * 64 * 4);
    unshared.set(bytes);
    unshared.set(bytes.subarray(28, 28 + 512 * 64 * 4), bytes.length);
    new DataView(unshared.buffer).setInt32(20, -512, true);
    const c = convertLlama2cCheckpoint(unshared);
    expect(c.config.tie_word_embeddings).toBe(false);
    const dir = path.join(work, 'unshared');
    await convertLlama2c({ checkpoint: writeTmp(work, 'unshared.bin', unshared), tokenizer: TOK, out: dir });
    const model = await loadModel(folderSource(dir));
    expect(greedyFromBos(model, 12)).toEqual(readJson<{ token_ids: number[] }>(path.join(DIR, 'expected_greedy.json')).token_ids.slice(0, 12));
    model.dispose();
  });

  it('permutes interleaved RoPE pairs into rotate_half halves (HF convert_llama_weights_to_hf permute)', () => {
    // 2 heads, D = 4, in = 1: rows (h, pair i, member j) = h*4 + 2i + j -> h*4 + 2j + i.
    const w = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Array.from(permuteRope(w, 2, 1))).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
  });

  it('refuses a truncated checkpoint with both byte counts and writes nothing', async () => {
    const bytes = readFileSync(CKPT);
    const bad = writeTmp(work, 'truncated.bin', bytes.subarray(0, bytes.length - 1000));
    const target = path.join(work, 'never');
    const listing = readdirSync(work).sort();
    await expect(convertLlama2c({ checkpoint: bad, tokenizer: TOK, out: target })).rejects.toThrow(
      new RegExp(`expected ${bytes.length} bytes .* got ${bytes.length - 1000}: the file is truncated`),
    );
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(work).sort()).toEqual(listing);
  });

  it('refuses to overwrite a non-empty folder unless asked, and then replaces it whole', async () => {
    await expect(convertLlama2c({ checkpoint: CKPT, tokenizer: TOK, out })).rejects.toThrow(/already exists and is not empty/);
    writeFileSync(path.join(out, 'stale.txt'), 'x');
    await convertLlama2c({ checkpoint: CKPT, tokenizer: TOK, out, overwrite: true });
    expect(existsSync(path.join(out, 'stale.txt'))).toBe(false);
    expect(existsSync(path.join(out, 'model.safetensors'))).toBe(true);
  });
});

function writeTmp(dir: string, name: string, data: Uint8Array): string {
  const p = path.join(dir, name);
  writeFileSync(p, data);
  return p;
}
