/**
 * The KV cache in the GEMM pool's memory (kernels/attention/kv-pool.ts) and its use by generation on wasm
 * (model/transformer.ts, model/kv-cache.ts). The oracle is the tensor cache, the path with WEBIFT_POOLED_KV off: the
 * same attention.c forward reads the same keys and values, only from another place, so every logit must be equal to
 * the bit, through prefill, decode steps that grow the block, left padding, beam reordering and a block that cannot
 * grow. The block itself is checked against the tensors written into it (exact copies) and the pool's resident
 * bytes after dispose.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { POOLED_KV_FLAG, PooledKV } from '../../src/kernels/attention/kv-pool';
import { attentionPooled } from '../../src/kernels/attention/attention-cpu';
import { attentionReference } from '../../src/kernels/attention/reference';
import { randomModel } from '../../src/model/random';
import { forward } from '../../src/model/transformer';
import { createCache, disposeCache, selectCacheRows } from '../../src/model/kv-cache';
import type { KVCache, LinearFn, Model } from '../../src/model/types';
import { linear } from '../../src/kernels/ops';
import { useWasmGemmPool } from '../helpers/gemm-check';
import { lcg } from '../helpers/random';

const pool = useWasmGemmPool();

afterEach(() => {
  tf.env().set(POOLED_KV_FLAG, true);
});

const values = async (t: tf.Tensor) => Array.from((await t.data()) as Float32Array);

describe('PooledKV', () => {
  it('holds exactly what was written, across a growth, and reorders rows as a gather would', async () => {
    const [B, Hkv, D] = [2, 3, 5];
    const first = [tf.tensor4d(lcg(B * Hkv * 7 * D, 1), [B, Hkv, 7, D]), tf.tensor4d(lcg(B * Hkv * 7 * D, 2), [B, Hkv, 7, D])];
    const more = [tf.tensor4d(lcg(B * Hkv * 70 * D, 3), [B, Hkv, 70, D]), tf.tensor4d(lcg(B * Hkv * 70 * D, 4), [B, Hkv, 70, D])];
    const before = pool().resident;
    const kv = PooledKV.create(B, Hkv, D, 7)!;
    expect(kv.cap).toBe(64);
    kv.write(first[0], first[1], 0);
    kv.write(more[0], more[1], 7); // 77 slots: grows to 128, keeping the first 7
    expect(kv.cap).toBe(128);
    const held = kv.toTensors(77);
    expect(await values(held.k)).toEqual(await values(tf.concat([first[0], more[0]], 2)));
    expect(await values(held.v)).toEqual(await values(tf.concat([first[1], more[1]], 2)));
    const rows = [1, 1, 0];
    const picked = kv.select(rows, 77);
    const got = picked.toTensors(77);
    expect(await values(got.k)).toEqual(await values(tf.gather(held.k, rows)));
    expect(await values(got.v)).toEqual(await values(tf.gather(held.v, rows)));
    expect(() => kv.write(first[0], tf.zeros([B, Hkv, 6, D]), 77)).toThrow(/do not fit/);
    kv.dispose();
    picked.dispose();
    kv.dispose(); // twice is a no-op
    expect(pool().resident).toBe(before);
    expect(() => kv.write(first[0], first[1], 0)).toThrow(/after dispose/);
    tf.dispose([...first, ...more, held.k, held.v, got.k, got.v]);
  });

  it('is null with the flag off, and null with nothing held when the pool cannot give the room', () => {
    tf.env().set(POOLED_KV_FLAG, false);
    expect(PooledKV.create(1, 1, 4, 4)).toBeNull();
    tf.env().set(POOLED_KV_FLAG, true);
    const p = pool(), before = p.resident, alloc = p.allocResident.bind(p);
    let calls = 0;
    p.allocResident = (n: number) => { if (++calls === 2) throw new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded'); return alloc(n); };
    try {
      expect(PooledKV.create(1, 2, 4, 10)).toBeNull(); // K's block taken, V's refused: K's is given back
    } finally {
      p.allocResident = alloc;
    }
    expect(p.resident).toBe(before);
  });

  it('attentionPooled reads the first S slots in place: the reference, with GQA, softcap and a padding bias', async () => {
    const [B, H, Hkv, T, D, S] = [2, 6, 2, 3, 16, 40];
    const q = tf.tensor4d(lcg(B * H * T * D, 5), [B, H, T, D]);
    const k = tf.tensor4d(lcg(B * Hkv * S * D, 6), [B, Hkv, S, D]), v = tf.tensor4d(lcg(B * Hkv * S * D, 7), [B, Hkv, S, D]);
    const bias = new Float32Array(B * T * S).map((_, i) => (i % S < 4 && i >= T * S ? -1e9 : (i % S) * 0.01)); // row 1 pads 4 keys
    const kv = PooledKV.create(B, Hkv, D, 2)!;
    kv.write(tf.slice(k, [0, 0, 0, 0], [-1, -1, 25, -1]), tf.slice(v, [0, 0, 0, 0], [-1, -1, 25, -1]), 0);
    kv.write(tf.slice(k, [0, 0, 25, 0], [-1, -1, 15, -1]), tf.slice(v, [0, 0, 25, 0], [-1, -1, 15, -1]), 25);
    const got = attentionPooled(q, kv, S, { scale: 0.25, softcap: 3, bias: tf.tensor4d(bias, [B, 1, T, S]) })!;
    const f32 = async (t: tf.Tensor) => (await t.data()) as Float32Array;
    const want = attentionReference(await f32(q), await f32(k), await f32(v), { B, H, Hkv, T, S, D }, { scale: 0.25, softcap: 3, bias: { data: bias, shape: [B, 1, T, S] } });
    const ours = await values(got);
    expect(Math.max(...ours.map((x, i) => Math.abs(x - want[i])))).toBeLessThan(2e-6);
    kv.dispose();
    tf.dispose([q, k, v, got]);
  });
});

/** Llama with GQA (4 heads over 2 kv heads), D 8. */
const CFG = {
  model_type: 'llama', vocab_size: 50, hidden_size: 32, num_hidden_layers: 3, num_attention_heads: 4, num_key_value_heads: 2,
  intermediate_size: 48, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 256, tie_word_embeddings: false,
};

/** Prefill, then `steps` decode steps (with beam reorders at `reorder`); every step's logits. */
async function decode(model: Model, B: number, prompt: number, steps: number, pooled: boolean, reorder: Record<number, number[]> = {}, mask?: Int32Array): Promise<{ logits: number[][]; cache: KVCache }> {
  tf.env().set(POOLED_KV_FLAG, pooled);
  const cache = createCache(model.config.layers);
  const logits: number[][] = [];
  let rows = B;
  const full = mask ? Array.from(mask) : new Array(B * prompt).fill(1);
  const run = async (ids: Int32Array, T: number) => {
    const width = cache.length + T;
    const m = new Int32Array(rows * width);
    for (let b = 0; b < rows; b++) for (let s = 0; s < width; s++) m[b * width + s] = s < prompt ? full[(b % B) * prompt + s] : 1;
    const out = forward(model, { ids, B: rows, T, attentionMask: m }, { cache, lastOnly: true });
    logits.push(await values(out.logits!));
    out.logits!.dispose();
  };
  await run(Int32Array.from({ length: B * prompt }, (_, i) => (i * 7 + 3) % 50), prompt);
  for (let s = 0; s < steps; s++) {
    if (reorder[s]) {
      selectCacheRows(cache, reorder[s]);
      rows = reorder[s].length;
    }
    await run(Int32Array.from({ length: rows }, (_, i) => (s * 11 + i * 5 + 1) % 50), 1);
  }
  return { logits, cache };
}

describe('generation with the pooled cache', () => {
  it('gives the tensor cache logits to the bit: prefill 70, 60 steps (the blocks grow at 128 slots), then disposes clean', async () => {
    const model = randomModel(CFG, 3);
    const before = pool().resident, tensors = tf.memory().numTensors;
    const a = await decode(model, 2, 70, 60, true);
    expect(a.cache.layers.every((l) => l && 'pooled' in l)).toBe(true);
    expect(a.cache.layers.every((l) => l && 'pooled' in l && l.pooled.cap === 192)).toBe(true);
    const b = await decode(model, 2, 70, 60, false);
    expect(b.cache.layers.every((l) => l && 'k' in l)).toBe(true);
    expect(a.logits).toEqual(b.logits);
    disposeCache(a.cache);
    disposeCache(b.cache);
    expect(pool().resident).toBe(before);
    expect(tf.memory().numTensors).toBe(tensors);
    model.dispose();
  });

  it('left padding and beam reorders (rows repeated and dropped) give the tensor cache logits to the bit', async () => {
    const model = randomModel(CFG, 4);
    const mask = Int32Array.from({ length: 2 * 9 }, (_, i) => (i >= 9 && i < 12 ? 0 : 1)); // row 1 left-padded by 3
    const reorder = { 2: [1, 1, 0], 5: [2, 0] };
    const a = await decode(model, 2, 9, 8, true, reorder, mask);
    const b = await decode(model, 2, 9, 8, false, reorder, mask);
    expect(a.logits).toEqual(b.logits);
    disposeCache(a.cache);
    disposeCache(b.cache);
    model.dispose();
  });

  it('a block that cannot grow goes on as tensors, with the same logits and nothing left in the pool', async () => {
    const model = randomModel(CFG, 5);
    const p = pool(), before = p.resident, alloc = p.allocResident.bind(p);
    const want = await decode(model, 1, 64, 3, false);
    tf.env().set(POOLED_KV_FLAG, true);
    // Prefill 64 fills the blocks (64 slots); the first decode step must grow them, and the pool refuses.
    const cache = createCache(model.config.layers);
    const ids = Int32Array.from({ length: 64 }, (_, i) => (i * 7 + 3) % 50);
    const first = forward(model, { ids, B: 1, T: 64 }, { cache, lastOnly: true });
    const logits = [await values(first.logits!)];
    first.logits!.dispose();
    expect(cache.layers.every((l) => l && 'pooled' in l && l.pooled.cap === 64)).toBe(true);
    p.allocResident = () => { throw new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded'); };
    try {
      for (let s = 0; s < 3; s++) {
        const out = forward(model, { ids: Int32Array.of((s * 11 + 1) % 50), B: 1, T: 1 }, { cache, lastOnly: true });
        logits.push(await values(out.logits!));
        out.logits!.dispose();
      }
    } finally {
      p.allocResident = alloc;
    }
    expect(cache.layers.every((l) => l && 'k' in l)).toBe(true);
    expect(p.resident).toBe(before);
    expect(logits).toEqual(want.logits);
    disposeCache(cache);
    disposeCache(want.cache);
    model.dispose();
  });

  it('a forward that fails frees the blocks it made and leaves the cache as it was', async () => {
    const model = randomModel(CFG, 6);
    const before = pool().resident;
    const cache = createCache(model.config.layers);
    const boom: LinearFn = (name, x, w, b) => {
      if (name.startsWith('layers.2.')) throw new Error('injected failure');
      return linear(x, w, b);
    };
    expect(() => forward(model, { ids: Int32Array.of(1, 2, 3), B: 1, T: 3 }, { cache, linear: boom })).toThrow(/injected/);
    expect(cache.length).toBe(0);
    expect(cache.layers.every((l) => l === null)).toBe(true);
    expect(pool().resident).toBe(before);
    model.dispose();
  });
});
