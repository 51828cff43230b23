/**
 * The WGSL RMSNorm (kernels/rmsnorm) on WebGPU (SwiftShader in CI) against its plain-TypeScript oracle, on rows and
 * widths that are not multiples of the 64-thread workgroup (C = 70, 577) and a single row: the forward, and the
 * gradients dx and dw for a fixed upstream dy. Tolerance 1e-5 relative (f32 sums over <= 577 terms). Both row
 * reductions run: the workgroup tree and, where the device has subgroups (SwiftShader does), the subgroup variant.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { rmsNormGradReference, rmsNormReference } from '../../src/kernels/rmsnorm/reference';
import { rmsNormWebGpu } from '../../src/kernels/rmsnorm/rmsnorm';
import { SUBGROUP_FLAG } from '../../src/kernels/gpu-features';
import { initBackend } from '../../src/platform/backend';
import { compareClose } from '../helpers/fixtures';
import { lcg } from '../helpers/random';

describe.each([false, true])('RMSNorm WGSL kernel (subgroups %s)', (subgroups) => {
  beforeAll(async () => {
    expect((await initBackend({ prefer: ['webgpu'] })).name).toBe('webgpu');
    tf.env().set(SUBGROUP_FLAG, subgroups);
  });

  it.each([[7, 70], [3, 577], [1, 64]])('rows %i x C %i: forward, dx and dw equal the reference', async (rows, C) => {
    const eps = 1e-6;
    const xv = lcg(rows * C, 1), wv = lcg(C, 2, { offset: 1 }), dyv = lcg(rows * C, 3);
    const x = tf.tensor(xv, [rows, C]), w = tf.tensor(wv, [C]), dy = tf.tensor(dyv, [rows, C]);
    const y = rmsNormWebGpu(x, w, eps)!;
    expect(y).not.toBeNull();
    const check = async (got: tf.Tensor, want: Float32Array) => {
      const r = compareClose((await got.data()) as Float32Array, want, 1e-5, 1e-5);
      expect(r.worst, `max |Δ| ${r.maxAbs}`).toBeLessThanOrEqual(0);
    };
    await check(y, rmsNormReference(xv, wv, C, eps));
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(rmsNormWebGpu(a, b, eps)!, dy)))([x, w]);
    const ref = rmsNormGradReference(xv, wv, dyv, C, eps);
    await check(dx, ref.dx);
    await check(dw, ref.dw);
    tf.dispose([x, w, dy, y, dx, dw]);
  });
});
