/**
 * The WGSL LayerNorm (kernels/layernorm) on WebGPU (SwiftShader in CI) against its plain-TypeScript oracle, on rows
 * and widths that are not multiples of the 64-thread workgroup (C = 70, 577), a single row and a (B, T, C) input
 * through ops.layerNorm: the forward, and the gradients dx, dw and db for a fixed upstream dy, which are also checked
 * against tfjs's own autodiff of the composed formula (an oracle that shares no code with ours). The inputs carry an
 * offset of 3 so that a variance taken as E[x²] − E[x]² would show. Tolerance 1e-5 (f32 sums over <= 577 terms).
 * Both row reductions run: the workgroup tree and, where the device has subgroups (SwiftShader does), the subgroup one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { layerNormGradReference, layerNormReference } from '../../src/kernels/layernorm/reference';
import { layerNormWebGpu } from '../../src/kernels/layernorm/layernorm';
import { layerNorm } from '../../src/kernels/ops';
import { SUBGROUP_FLAG } from '../../src/kernels/gpu-features';
import { initBackend } from '../../src/platform/backend';
import { compareClose } from '../helpers/fixtures';
import { lcg } from '../helpers/random';

async function check(got: tf.Tensor, want: Float32Array | tf.Tensor, tol = 1e-5): Promise<void> {
  const w = want instanceof tf.Tensor ? ((await want.data()) as Float32Array) : want;
  const r = compareClose((await got.data()) as Float32Array, w, tol, tol);
  expect(r.worst, `max |Δ| ${r.maxAbs} at ${r.at}`).toBeLessThanOrEqual(0);
}

/** torch.nn.LayerNorm spelled in tfjs ops (as ops.layerNorm's fallback), differentiated by tfjs. */
const composed = (eps: number) => (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
  const c = tf.sub(x, tf.mean(x, -1, true));
  return tf.add(tf.mul(tf.div(c, tf.sqrt(tf.add(tf.mean(tf.square(c), -1, true), eps))), w), b);
};

describe.each([false, true])('LayerNorm WGSL kernel (subgroups %s)', (subgroups) => {
  beforeAll(async () => {
    expect((await initBackend({ prefer: ['webgpu'] })).name).toBe('webgpu');
    tf.env().set(SUBGROUP_FLAG, subgroups);
  });

  it.each([[7, 70], [3, 577], [1, 64]])('rows %i x C %i: forward, dx, dw and db equal the reference', async (rows, C) => {
    const eps = 1e-5;
    const xv = lcg(rows * C, 1, { offset: 3 }), wv = lcg(C, 2, { offset: 1 }), bv = lcg(C, 4), dyv = lcg(rows * C, 3);
    const x = tf.tensor(xv, [rows, C]), w = tf.tensor(wv, [C]), b = tf.tensor(bv, [C]), dy = tf.tensor(dyv, [rows, C]);
    const y = layerNormWebGpu(x, w, b, eps)!;
    expect(y).not.toBeNull();
    await check(y, layerNormReference(xv, wv, bv, C, eps));
    const loss = (f: (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.Tensor) => (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(f(a, c, d), dy));
    const ours = tf.grads(loss((a, c, d) => layerNormWebGpu(a, c, d, eps)!))([x, w, b]);
    const tfjs = tf.grads(loss(composed(eps)))([x, w, b]);
    const ref = layerNormGradReference(xv, wv, dyv, C, eps);
    for (const [i, want] of [ref.dx, ref.dw, ref.db].entries()) {
      await check(ours[i], want);
      await check(ours[i], tfjs[i], 1e-4);
    }
    tf.dispose([x, w, b, dy, y, ...ours, ...tfjs]);
  });

  it('ops.layerNorm on webgpu runs the kernel on a (B, T, C) input', async () => {
    const [B, T, C, eps] = [2, 3, 70, 1e-5];
    const xv = lcg(B * T * C, 5, { offset: -2 }), wv = lcg(C, 6, { offset: 1 }), bv = lcg(C, 7);
    const y = layerNorm(tf.tensor(xv, [B, T, C]), tf.tensor(wv, [C]), tf.tensor(bv, [C]), eps);
    expect(y.shape).toEqual([B, T, C]);
    await check(y, layerNormReference(xv, wv, bv, C, eps));
  });
});
