/**
 * The CPU path's attention (kernels/gemm/attention.c on the GEMM pool's threads, wrapped by
 * kernels/attention/attention-cpu.ts) against the plain-TypeScript oracle shared with the WGSL kernel: the output and
 * dq, dk, dv of sum(out · dy). The causal cases give the kernel the (B, 1, T, S) bias model/mask.ts builds and the
 * oracle the positions, so the two masks are built independently. Shapes cover GQA, left padding (fully masked
 * rows), a decode step, a sliding window, softcap, an ALiBi-like (B, H, 1, S) bias broadcast over queries, query
 * groups longer than the kernel's 32-row chunk, a size that runs on both threads, and one prompt whose kv heads are
 * split in parts across the threads. Tolerance 1e-5 abs + 1e-4
 * rel: f32 sums over at most 140 terms of O(1) values against the oracle's f64.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { attentionCpu, partsFor } from '../../src/kernels/attention/attention-cpu';
import type { CausalSpec } from '../../src/kernels/attention/attention';
import { attentionReference, type RefDims, type RefOptions } from '../../src/kernels/attention/reference';
import { gemmPool } from '../../src/kernels/gemm/register';
import { attention } from '../../src/kernels/ops';
import { additiveMask } from '../../src/model/mask';
import { initBackend } from '../../src/platform/backend';
import { expectClose, lcg } from '../helpers/random';
import { attentionInputs, expectAttentionLikeOracle } from '../helpers/attention-check';

/** Tolerance of every check here (see the header). */
const TOL = [1e-5, 1e-4] as const;

const causal = (B: number, T: number, past: number, pad: number, window: number | null = null): CausalSpec =>
  ({ mask: Int32Array.from({ length: B * (past + T) }, (_, i) => (i < past + T && i < pad ? 0 : 1)), past, keyStart: 0, window });

interface Case { name: string; n: RefDims; o: RefOptions; alibi?: boolean }

const CASES: Case[] = [
  { name: 'GQA 4/2, T = S = 13, D = 20, row 0 left-padded by 3', n: { B: 2, H: 4, Hkv: 2, T: 13, S: 13, D: 20 }, o: { scale: 20 ** -0.5, causal: causal(2, 13, 0, 3) } },
  { name: 'decode T = 1, S = 17, past 16, padded, softcap 30', n: { B: 2, H: 2, Hkv: 1, T: 1, S: 17, D: 20 }, o: { scale: 20 ** -0.5, softcap: 30, causal: causal(2, 1, 16, 2) } },
  // g * T = 6 query rows a kv head: the forward reads K in place instead of packing Kᵀ (attention.c's FEW_QUERY_ROWS).
  { name: 'decode-like GQA 9/3, T = 2, S = 70, past 68, D = 64', n: { B: 1, H: 9, Hkv: 3, T: 2, S: 70, D: 64 }, o: { scale: 0.125, causal: causal(1, 2, 68, 0) } },
  { name: 'sliding window 5, T = S = 19', n: { B: 1, H: 2, Hkv: 2, T: 19, S: 19, D: 24 }, o: { scale: 0.3, causal: causal(1, 19, 0, 0, 5) } },
  { name: 'ALiBi-like (B, H, 1, S) bias, T = 9, S = 21', n: { B: 2, H: 3, Hkv: 3, T: 9, S: 21, D: 16 }, o: { scale: 0.25 }, alibi: true },
  { name: 'GQA 3 query heads per kv head, T = S = 70 (several 32-row chunks), D = 64, both threads', n: { B: 2, H: 6, Hkv: 2, T: 70, S: 70, D: 64 }, o: { scale: 0.125, causal: causal(2, 70, 0, 5) } },
  // One prompt's 3 kv heads on 2 threads: each head's 7 chunks of query rows go to 2 parts (partsFor), interleaved.
  { name: 'one prompt, GQA 9/3, T = S = 70, D = 64: heads split in parts across the threads', n: { B: 1, H: 9, Hkv: 3, T: 70, S: 70, D: 64 }, o: { scale: 0.125, causal: causal(1, 70, 0, 0) } },
];

/** slope_h · (j - S + 1) as a (B, H, 1, S) bias. */
function alibi(n: RefDims): Float32Array {
  const { B, H, S } = n;
  return Float32Array.from({ length: B * H * S }, (_, i) => Math.fround(-((Math.floor(i / S) % H) + 1) / 8 * (S - 1 - (i % S))));
}

describe('CPU attention kernel (wasm, GEMM pool)', () => {
  beforeAll(async () => {
    await initBackend({ prefer: ['wasm'] });
    expect(gemmPool(), 'the GEMM pool runs (2+ hardware threads)').not.toBeNull();
  });

  it.each(CASES)('$name: output and gradients equal the oracle', async ({ n, o, alibi: withAlibi }) => {
    const { B, H, T, S } = n;
    const inp = attentionInputs(n);
    let bias: tf.Tensor;
    const ref: RefOptions = { ...o };
    if (withAlibi) {
      const data = alibi(n);
      bias = tf.tensor4d(data, [B, H, 1, S]);
      ref.bias = { data, shape: [B, H, 1, S] };
    } else {
      const c = o.causal!;
      bias = tf.tensor4d(additiveMask({ B, T, past: c.past, keyStart: c.keyStart, S, mask: c.mask, window: c.window }), [B, 1, T, S]);
    }
    const opts = { scale: o.scale, softcap: o.softcap, bias };
    await expectAttentionLikeOracle((a, b, c) => attentionCpu(a, b, c, opts), inp, n, ref, ...TOL);
    tf.dispose([inp.q, inp.k, inp.v, inp.dy, bias]);
  });

  it('partsFor splits a head only when the heads alone leave a thread idle, and a part gets 2 chunks or more', () => {
    expect(partsFor(3, 210, 2)).toBe(2); // the case above
    expect(partsFor(3, 100, 2)).toBe(1); // under 2 chunks a part: packing Kᵀ twice would cost more
    expect(partsFor(4, 210, 2)).toBe(1); // 2 heads a thread
    expect(partsFor(9, 210, 2)).toBe(1); // 5 and 4 heads: close enough
    expect(partsFor(3, 210, 1)).toBe(1);
  });

  it('ops.attention takes it on wasm and leaks no tensor', async () => {
    const [B, H, Hkv, T, S, D] = [1, 2, 1, 5, 5, 8];
    const q = tf.tensor4d(lcg(B * H * T * D, 5), [B, H, T, D]), k = tf.tensor4d(lcg(B * Hkv * S * D, 6), [B, Hkv, S, D]);
    const bias = tf.zeros([B, 1, T, S]);
    const before = tf.memory().numTensors;
    const out = attention(q, k, k, { scale: 0.5, bias });
    const want = attentionReference(q.dataSync() as Float32Array, k.dataSync() as Float32Array, k.dataSync() as Float32Array, { B, H, Hkv, T, S, D }, { scale: 0.5 });
    await expectClose(out, want, ...TOL, 'out');
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([q, k, bias]);
  });
});
