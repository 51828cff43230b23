/**
 * The tiled WGSL matmul against a frozen weight (kernels/frozen-matmul) on WebGPU (SwiftShader in CI), through the
 * paths the model takes: linear() on a QTensor (frozenMatmul) and on a frozen f32 tensor (mmFrozenRight), forward
 * y = x · W and the input gradient dx = dy · Wᵀ, against the plain-TypeScript oracle (reference.ts: packed.ts's
 * decode, then a naive f64 product). int4 and int8, symmetric and asymmetric, groups 32 and 64, on shapes that are
 * not tile multiples (in = 70: a short last group and a padded last word; out = 33; 70 rows = two row tiles). Also
 * checks that the fused kernel ran and that no decode kernel did (nothing written as an f32 W). Tolerance 1e-5 abs +
 * 1e-5 rel: the kernel sums <= 70 f32 products in order (error ~ 70 · 2^-24 · Σ|x·w| < 1e-5 for |x|, |w| < 1 here)
 * and may fuse code·scale + zero (1 ulp of W). Also: the device has the optional features (shader-f16, subgroups,
 * timestamp-query) exactly where the adapter offers them, as gpuFeatures() reports (here in this file, to spare CI a
 * second WebGPU start-up).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { linear } from '../../src/kernels/ops';
import { QTensor } from '../../src/kernels/qtensor';
import type { QuantSpec } from '../../src/kernels/packed';
import { frozenMatmulReference, qmatmulReference } from '../../src/kernels/frozen-matmul/reference';
import { gpuFeatures } from '../../src/kernels/gpu-features';
import { quantize } from '../../src/quant';
import { initBackend } from '../../src/platform/backend';
import { expectClose, lcg } from '../helpers/random';

/** Tolerance of every check here (see the header). */
const TOL = [1e-5, 1e-5] as const;

/** y = linear(x, w) and dx for upstream g, with the names of the kernels that ran. */
async function forwardAndDx(x: tf.Tensor, w: QTensor | tf.Tensor, g: tf.Tensor): Promise<{ y: tf.Tensor; dx: tf.Tensor; kernels: string[] }> {
  let y!: tf.Tensor, dx!: tf.Tensor;
  const info = await tf.profile(() => {
    y = tf.tidy(() => linear(x, w));
    dx = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(linear(t, w), g)))(x));
    return [y, dx];
  });
  return { y, dx, kernels: info.kernelNames };
}

describe('frozen-weight matmul WGSL kernel', () => {
  beforeAll(async () => {
    expect((await initBackend({ prefer: ['webgpu'] })).name).toBe('webgpu');
  });

  const specs: QuantSpec[] = [];
  for (const bits of [4, 8] as const) for (const symmetric of [true, false]) specs.push({ bits, groupSize: bits === 4 ? 32 : 64, symmetric }, { bits, groupSize: bits === 4 ? 64 : 32, symmetric });

  it.each(specs.map((s) => [`int${s.bits} g${s.groupSize} ${s.symmetric ? 'sym' : 'asym'}`, s] as const))('QTensor %s, x [7, 70] · W [70, 33]: y and dx equal the reference', async (_, spec) => {
    const [N, I, O] = [7, 70, 33];
    const p = quantize(lcg(I * O, 1), I, O, spec);
    const xv = lcg(N * I, 2), gv = lcg(N * O, 3);
    const q = new QTensor(p);
    const x = tf.tensor2d(xv, [N, I]), g = tf.tensor2d(gv, [N, O]);
    const before = tf.memory().numTensors;
    const { y, dx, kernels } = await forwardAndDx(x, q, g);
    expect(kernels).toContain('WebiftQMatmul');
    expect(kernels).not.toContain('WebiftDequantize');
    expect(kernels).not.toContain('Transpose');
    await expectClose(y, qmatmulReference(xv, N, p), ...TOL, 'y');
    await expectClose(dx, qmatmulReference(gv, N, p, true), ...TOL, 'dx');
    tf.dispose([y, dx]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, g]);
    q.dispose();
  });

  it('frozen f32 W, x [70, 70] · W [70, 33]: y and dx equal the reference, W read in place', async () => {
    const [N, I, O] = [70, 70, 33];
    const xv = lcg(N * I, 4), wv = lcg(I * O, 5), gv = lcg(N * O, 6);
    const x = tf.tensor2d(xv, [N, I]), w = tf.tensor2d(wv, [I, O]), g = tf.tensor2d(gv, [N, O]);
    const before = tf.memory().numTensors;
    const { y, dx, kernels } = await forwardAndDx(x, w, g);
    expect(kernels).toContain('WebiftFrozenMatmul');
    expect(kernels).not.toContain('Transpose');
    expect(kernels).not.toContain('BatchMatMul');
    await expectClose(y, frozenMatmulReference(xv, N, wv, I, O), ...TOL, 'y');
    await expectClose(dx, frozenMatmulReference(gv, N, wv, I, O, true), ...TOL, 'dx');
    tf.dispose([y, dx]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, g]);
  });
});

describe('gpuFeatures', () => {
  it('reports the optional features the adapter offers, requested on the device; none off webgpu', async () => {
    expect((await initBackend({ prefer: ['webgpu'] })).name).toBe('webgpu');
    const adapter = await (globalThis as unknown as { navigator: { gpu: GPU } }).navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
    const offered = adapter!.features;
    // SwiftShader (CI): subgroups and timestamp-query, no shader-f16 (printed so a run on other hardware shows its own).
    console.log(`adapter features: shader-f16 ${offered.has('shader-f16')}, subgroups ${offered.has('subgroups')}`);
    expect(gpuFeatures()).toEqual({ shaderF16: offered.has('shader-f16'), subgroups: offered.has('subgroups'), timestampQuery: offered.has('timestamp-query') });
    await initBackend({ prefer: ['cpu'] });
    expect(gpuFeatures()).toEqual({ shaderF16: false, subgroups: false, timestampQuery: false });
  });
});
