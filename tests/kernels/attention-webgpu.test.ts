/**
 * The WGSL flash attention (kernels/attention) on WebGPU (SwiftShader in CI) against its plain-TypeScript oracle:
 * the output and dq, dk, dv of sum(out · dy) on shapes that are not multiples of the 16 × 16 tile, with GQA, left
 * padding (fully masked rows), a decode step with a cache, sliding windows (one on a trimmed cache), a softcap, an
 * ALiBi-like bias and D = 128, 256; then the tiny model's logits (a padded prefill, then a cached 7-token chunk) with
 * the kernel, checked to have run, against the composed ops. Tolerance 1e-5 abs + 1e-4 rel: f32 sums over ≤ 256
 * terms of O(1) values, in another order (online softmax, tiles) than the f64 oracle's.
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { attentionWebGpu, type CausalSpec } from '../../src/kernels/attention/attention';
import { type RefDims, type RefOptions } from '../../src/kernels/attention/reference';
import { setFlashAttention } from '../../src/kernels/ops';
import { initBackend } from '../../src/platform/backend';
import { gpuErrorScope } from '../../src/platform/gpu-device';
import { loadModel } from '../../src/model/load';
import { forward } from '../../src/model/transformer';
import { createCache, disposeCache } from '../../src/model/kv-cache';
import { folderSource } from '../../src/node/fs-source';
import { compareClose, EMBEDDED_MODEL_DIR } from '../helpers/fixtures';
import { attentionInputs, expectAttentionLikeOracle } from '../helpers/attention-check';

/** (B, past + T) mask of ones with `pad` left-padding slots in row 0. */
function leftPadded(B: number, total: number, pad: number): Int32Array {
  return Int32Array.from({ length: B * total }, (_, i) => (i < total && i < pad ? 0 : 1));
}

/** Tolerance of every check here (see the header). */
const TOL = [1e-5, 1e-4] as const;

interface Case { name: string; n: RefDims; o: RefOptions }

const causal = (B: number, T: number, past: number, pad: number, window: number | null = null): CausalSpec =>
  ({ mask: leftPadded(B, past + T, pad), past, keyStart: 0, window });

const CASES: Case[] = [
  { name: 'GQA 4/2, T = S = 13, D = 20, row 0 left-padded by 3', n: { B: 2, H: 4, Hkv: 2, T: 13, S: 13, D: 20 }, o: { scale: 20 ** -0.5, causal: causal(2, 13, 0, 3) } },
  { name: 'decode T = 1, S = 17, past 16, padded, softcap 30', n: { B: 2, H: 2, Hkv: 1, T: 1, S: 17, D: 20 }, o: { scale: 20 ** -0.5, softcap: 30, causal: causal(2, 1, 16, 2) } },
  { name: 'sliding window 5, T = S = 19, 18 left-padded rows', n: { B: 1, H: 2, Hkv: 2, T: 19, S: 19, D: 24 }, o: { scale: 0.3, causal: causal(1, 19, 0, 18, 5) } },
  { name: 'ALiBi-like (B, H, 1, S) bias + causal (B, 1, T, S) bias, T = 9, S = 21', n: { B: 2, H: 3, Hkv: 3, T: 9, S: 21, D: 16 }, o: { scale: 0.25 } },
  {
    // A trimmed sliding-window cache: keys from slot 16 on; row 1 has a padded slot inside the window and a padded query.
    name: 'window 5, T = 2 after past 20, keys from slot 16, padding inside the window',
    n: { B: 2, H: 2, Hkv: 1, T: 2, S: 6, D: 20 },
    o: { scale: 0.3, causal: { mask: Int32Array.from({ length: 44 }, (_, i) => (i === 22 + 18 || i === 22 + 21 ? 0 : 1)), past: 20, keyStart: 16, window: 5 } },
  },
  { name: 'D = 256, T = S = 3', n: { B: 2, H: 2, Hkv: 1, T: 3, S: 3, D: 256 }, o: { scale: 256 ** -0.5, causal: causal(2, 3, 0, 1) } },
  { name: 'D = 128, T = S = 18', n: { B: 2, H: 2, Hkv: 1, T: 18, S: 18, D: 128 }, o: { scale: 128 ** -0.5, causal: causal(2, 18, 0, 0) } },
];

/** The bias case: slope_h · j plus the causal -1e9 (past = S - T), summed into one (B, H, T, S) array. */
function alibiBias(n: RefDims): { data: Float32Array; shape: [number, number, number, number] } {
  const { B, H, T, S } = n;
  const data = new Float32Array(B * H * T * S);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let t = 0; t < T; t++) for (let j = 0; j < S; j++)
    data[((b * H + h) * T + t) * S + j] = Math.fround(-(h + 1) / 8 * (S - 1 - j) + (j > S - T + t ? -1e9 : 0));
  return { data, shape: [B, H, T, S] };
}

describe('flash attention WGSL kernels', () => {
  beforeAll(async () => {
    expect((await initBackend({ prefer: ['webgpu'] })).name).toBe('webgpu');
  });

  it.each(CASES)('$name: out, dq, dk, dv equal the reference', async ({ n, o }) => {
    const opts: RefOptions = n.S === 21 ? { ...o, bias: alibiBias(n) } : o;
    const inp = attentionInputs(n);
    const bias = opts.bias ? tf.tensor4d(opts.bias.data, opts.bias.shape) : undefined;
    const flash = { scale: opts.scale, softcap: opts.softcap, causal: opts.causal, bias };
    await gpuErrorScope(() => expectAttentionLikeOracle((a, b, c) => attentionWebGpu(a, b, c, flash), inp, n, opts, ...TOL));
    tf.dispose([inp.q, inp.k, inp.v, inp.dy, ...(bias ? [bias] : [])]);
  });

  it('the tiny model on webgpu gives the same logits with the kernel as with the composed ops (padding, then a cached chunk)', async () => {
    const model = await loadModel(folderSource(path.resolve(EMBEDDED_MODEL_DIR)));
    const B = 2, T = 7, T2 = 7; // ops.attention takes the kernel from 2 queries on; equal T reuses the compiled shaders
    const ids = Int32Array.from({ length: B * T }, (_, i) => 5 + ((i * 37) % 200));
    const ids2 = Int32Array.from({ length: B * T2 }, (_, i) => 9 + ((i * 53) % 300));
    const mask = leftPadded(B, T, 3);
    const run = (on: boolean) => {
      setFlashAttention(on);
      const cache = createCache(model.config.layers);
      const first = forward(model, { ids, B, T, attentionMask: mask }, { cache });
      const next = forward(model, { ids: ids2, B, T: T2, attentionMask: leftPadded(B, T + T2, 3) }, { cache });
      disposeCache(cache);
      return [first.logits!, next.logits!];
    };
    const spy = vi.spyOn(tf.engine(), 'runKernel');
    const [a1, a2] = run(true);
    expect(spy.mock.calls.filter(([name]) => name === 'WebiftAttention').length).toBe(2 * model.config.layers);
    spy.mockRestore();
    const [b1, b2] = run(false);
    setFlashAttention(true);
    const keep = (i: number) => mask[Math.floor(i / model.config.vocabSize)] === 1;
    const r1 = compareClose((await a1.data()) as Float32Array, (await b1.data()) as Float32Array, 1e-4, 1e-4, keep);
    const r2 = compareClose((await a2.data()) as Float32Array, (await b2.data()) as Float32Array, 1e-4, 1e-4);
    expect(r1.worst, `prefill max |Δ| ${r1.maxAbs}`).toBeLessThanOrEqual(0);
    expect(r2.worst, `cached chunk max |Δ| ${r2.maxAbs}`).toBeLessThanOrEqual(0);
    tf.dispose([a1, a2, b1, b2]);
    model.dispose();
  });
});
