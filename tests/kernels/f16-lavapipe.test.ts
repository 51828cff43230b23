/**
 * The frozen-weight matmul's f16 variant (kernels/frozen-matmul/frozen-matmul.wgsl.ts: f16 tiles and products, f32
 * accumulation every 4 K steps; forward only) on a device that has shader-f16: Mesa's lavapipe (tests/helpers/
 * lavapipe.ts). The oracle is the naive product of the inputs rounded to f16 (peft/gguf.ts's f32ToF16, the GGUF
 * exporter's rounding, checked there against numpy), and the tolerance is derived by hand:
 * - within a 4-step chunk each step is an f16 multiply-add, at worst two roundings of relative size u = 2^-11, so
 *   the chunk's partial sum is within ((1 + u)^8 − 1) · Σ|a·b| ≤ 2^-8 · Σ|a·b| over its 4 terms;
 * - a rounding that lands in f16's subnormal range errs by up to 2^-25 absolute: at most 8 a chunk, and fewer than K
 *   chunks, so under K · 2^-22 in all;
 * - the f32 sums of the partial sums add at most K · 2^-24 · Σ|a·b|;
 * so |y − ref| ≤ (2^-8 + K · 2^-24) · Σ_k |a_k·b_k| + K · 2^-22, element by element. Cases with exact answers pin
 * the indexing (small integers: every partial sum is exact in f16) and the rounding itself (1 + 2^-12 is 1 in f16).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useLavapipe } from '../helpers/lavapipe';
import { tf } from '../../src/kernels/tf';
import { F16_FLAG, gpuFeatures, useF16 } from '../../src/kernels/gpu-features';
import { frozenMatmulWebGpu, qmatmulWebGpu } from '../../src/kernels/frozen-matmul/frozen-matmul';
import { decodePacked, frozenMatmulReference } from '../../src/kernels/frozen-matmul/reference';
import { linear } from '../../src/kernels/ops';
import { QTensor } from '../../src/kernels/qtensor';
import type { QuantSpec } from '../../src/kernels/packed';
import { quantize } from '../../src/quant';
import { f32ToF16 } from '../../src/peft/gguf';
import { f16ToF32 } from '../../src/model/safetensors';
import { initBackend } from '../../src/platform/backend';
import { checkGpuErrors, gpuDevice } from '../../src/platform/gpu-device';
import { expectClose, lcg } from '../helpers/random';
import { recordShaderCode } from '../helpers/shader-code';

const unavailable = useLavapipe(); // before the first WebGPU start in this process

const half = (v: ArrayLike<number>) => Float32Array.from(v, (x) => f16ToF32(f32ToF16(x)));
const abs = (v: Float32Array) => v.map(Math.abs);

/** y (M, K) · w [K, N] against the f16 reference, within the header's bound; returns how many elements differ from the f32 result. */
function checkBound(got: Float32Array, x: Float32Array, w: Float32Array, M: number, K: number, N: number): void {
  const x16 = half(x), w16 = half(w);
  const want = frozenMatmulReference(x16, M, w16, K, N);
  const mass = frozenMatmulReference(abs(x16), M, abs(w16), K, N);
  let worst = -Infinity, at = -1;
  for (let i = 0; i < want.length; i++) {
    const excess = Math.abs(got[i] - want[i]) - ((2 ** -8 + K * 2 ** -24) * mass[i] + K * 2 ** -22);
    if (!(excess <= worst)) [worst, at] = [excess, i];
  }
  expect(worst, `|y − ref| exceeds the bound by ${worst} at ${at} (got ${got[at]}, want ${want[at]})`).toBeLessThanOrEqual(0);
}

async function values(t: tf.Tensor | null): Promise<Float32Array> {
  expect(t, 'the WGSL kernel ran (not a fallback)').not.toBeNull();
  const v = (await t!.data()) as Float32Array;
  t!.dispose();
  return v;
}

describe.skipIf(unavailable !== null)('frozen matmul, f16 variant, on lavapipe', () => {
  const compiled: string[] = [];
  let restore = () => {};

  beforeAll(async () => {
    expect((await initBackend({ prefer: ['webgpu'] })).name).toBe('webgpu');
    const device = gpuDevice()!;
    const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    console.log(`adapter: ${info?.vendor} ${info?.architecture} ${info?.description}`);
    expect(`${info?.architecture} ${info?.description}`).toMatch(/llvmpipe/);
    expect(gpuFeatures().shaderF16).toBe(true);
    restore = recordShaderCode(device, compiled);
  });
  afterAll(() => {
    restore();
    tf.env().set(F16_FLAG, true);
  });

  const run = async (f16: boolean, fn: () => tf.Tensor | null) => {
    tf.env().set(F16_FLAG, f16);
    expect(useF16()).toBe(f16);
    const v = await values(fn());
    checkGpuErrors();
    return v;
  };

  it('small integers, x [70, 70] · W [70, 33]: exact, as the f32 variant, and compiled as f16', async () => {
    const [M, K, N] = [70, 70, 33];
    const ints = (n: number, seed: number) => lcg(n, seed).map((v) => Math.round(v * 4)); // -4..4: partial sums ≤ 64
    const xv = ints(M * K, 1), wv = ints(K * N, 2);
    const x = tf.tensor2d(xv, [M, K]), w = tf.tensor2d(wv, [K, N]);
    compiled.length = 0;
    const h = await run(true, () => frozenMatmulWebGpu(x, w));
    const code = compiled.find((c) => c.includes('vec4<f16>'));
    expect(code, 'a compiled shader with f16 tiles').toBeDefined();
    expect(code).toContain('enable f16;');
    const f = await run(false, () => frozenMatmulWebGpu(x, w));
    expect(compiled.filter((c) => c.includes('vec4<f16>'))).toHaveLength(1); // the f32 run compiled its own shader
    const want = frozenMatmulReference(xv, M, wv, K, N);
    expect(Array.from(h)).toEqual(Array.from(want));
    expect(Array.from(f)).toEqual(Array.from(want));
    tf.dispose([x, w]);
  });

  it('rounds its inputs to f16: x = 1 + 2^-12 against W = 1 gives K exactly, where the f32 variant gives K(1 + 2^-12)', async () => {
    const [M, K, N] = [3, 40, 5];
    const x = tf.fill([M, K], 1 + 2 ** -12), w = tf.ones([K, N]);
    expect(new Set(await run(true, () => frozenMatmulWebGpu(x, w)))).toEqual(new Set([K]));
    expect(new Set(await run(false, () => frozenMatmulWebGpu(x, w)))).toEqual(new Set([K * (1 + 2 ** -12)]));
    tf.dispose([x, w]);
  });

  it('random x [70, 70] · f32 W [70, 33]: within the bound of the f16-rounded product, and not the f32 result', async () => {
    const [M, K, N] = [70, 70, 33];
    const xv = lcg(M * K, 3), wv = lcg(K * N, 4, { scale: 0.2 });
    const x = tf.tensor2d(xv, [M, K]), w = tf.tensor2d(wv, [K, N]);
    const h = await run(true, () => frozenMatmulWebGpu(x, w));
    checkBound(h, xv, wv, M, K, N);
    const f = await run(false, () => frozenMatmulWebGpu(x, w));
    await expectClose(tf.tensor(f), frozenMatmulReference(xv, M, wv, K, N), 1e-5, 1e-5, 'f32 variant');
    expect(h.filter((v, i) => v !== f[i]).length).toBeGreaterThan(M * N / 2);
    tf.dispose([x, w]);
  });

  const specs: QuantSpec[] = [{ bits: 4, groupSize: 32, symmetric: true }, { bits: 8, groupSize: 64, symmetric: false }];
  it.each(specs.map((s) => [`int${s.bits} g${s.groupSize} ${s.symmetric ? 'sym' : 'asym'}`, s] as const))('packed %s W [70, 33]: within the bound of the f16-rounded decoded product', async (_, spec) => {
    const [M, K, N] = [9, 70, 33];
    const p = quantize(lcg(K * N, 5, { scale: 0.3 }), K, N, spec);
    const q = new QTensor(p);
    const xv = lcg(M * K, 6);
    const x = tf.tensor2d(xv, [M, K]);
    compiled.length = 0;
    checkBound(await run(true, () => qmatmulWebGpu(x, q.deviceParts())), xv, decodePacked(p), M, K, N);
    expect(compiled.some((c) => c.includes('vec4<f16>') && c.includes('bitcast<u32>(P['))).toBe(true);
    tf.dispose(x);
    q.dispose();
  });

  it('the backward dy · Wᵀ stays f32 with f16 on: dx within the f32 suite tolerance', async () => {
    const [M, K, N] = [7, 70, 33];
    const xv = lcg(M * K, 7), wv = lcg(K * N, 8), gv = lcg(M * N, 9);
    const x = tf.tensor2d(xv, [M, K]), w = tf.tensor2d(wv, [K, N]), g = tf.tensor2d(gv, [M, N]);
    tf.env().set(F16_FLAG, true);
    const dx = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(linear(t, w), g)))(x));
    await expectClose(dx, frozenMatmulReference(gv, M, wv, K, N, true), 1e-5, 1e-5, 'dx');
    tf.dispose([x, w, g, dx]);
  });

  it('an input beyond f16 range (±65,504) gives ±inf, as the header says (NaN where it meets a 0 weight)', async () => {
    const x = tf.tensor2d([70000, 1, -70000, 1, 3, 2], [3, 2]), w = tf.tensor2d([1, 0, 1, 1], [2, 2]);
    expect(Array.from(await run(true, () => frozenMatmulWebGpu(x, w)))).toEqual([Infinity, NaN, -Infinity, NaN, 5, 2]);
    tf.dispose([x, w]);
  });
});
