/**
 * On WebGPU (SwiftShader here): the device gets the adapter's real maxStorageBuffersPerShaderStage, the chunked
 * addN / stack / concat match plain sums and copies computed in JS (with an injected limit of 3 inputs and with the
 * device's own), and a plain tf.addN past the limit, the bug of issue 11, now throws a GpuError instead of returning
 * stale memory, both inside gpuErrorScope and, recorded by the uncaptured-error handler, at the next check.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { addNChunked, concatChunked, stackChunked } from '../../src/kernels/many-inputs';
import { tf } from '../../src/kernels/tf';
import { initBackend, type BackendChoice } from '../../src/platform/backend';
import { checkGpuErrors, gpuDevice, gpuErrorScope, maxKernelInputs } from '../../src/platform/gpu-device';
import { GpuError } from '../../src/platform/gpu-errors';

/** n vectors of length 5 with distinct small integers (sums are exact in f32). */
function vectors(n: number): { arrays: number[][]; tensors: tf.Tensor[] } {
  const arrays = Array.from({ length: n }, (_, i) => Array.from({ length: 5 }, (_, j) => (i * 7 + j * 3) % 11 - 5));
  return { arrays, tensors: arrays.map((a) => tf.tensor1d(a)) };
}

describe('many-input ops on WebGPU', () => {
  let choice: BackendChoice;
  beforeAll(async () => {
    choice = await initBackend({ prefer: ['webgpu'] });
  });

  it('creates the device with the adapter limit, not the WebGPU default of 8', () => {
    expect(choice.name).toBe('webgpu');
    const adapterLimit = choice.gpu!.maxStorageBuffersPerShaderStage;
    expect(gpuDevice()!.limits.maxStorageBuffersPerShaderStage).toBe(adapterLimit);
    expect(maxKernelInputs()).toBe(adapterLimit - 1);
    console.log(`adapter ${choice.gpu!.adapterName}: maxStorageBuffersPerShaderStage ${adapterLimit}`);
  });

  it('addNChunked sums 40 tensors exactly, with an injected limit of 3 and with the device limit', async () => {
    const { arrays, tensors } = vectors(40);
    const want = arrays[0].map((_, j) => arrays.reduce((s, a) => s + a[j], 0));
    for (const limit of [3, undefined]) {
      const got = await gpuErrorScope(async () => {
        const t = addNChunked(tensors, limit);
        const v = Array.from(await t.data());
        t.dispose();
        return v;
      });
      expect(got, `limit ${limit ?? 'device'}`).toEqual(want);
    }
    tensors.forEach((t) => t.dispose());
  });

  it('stackChunked and concatChunked keep order with an injected limit of 3', async () => {
    const { arrays, tensors } = vectors(17);
    const [stacked, joined] = await gpuErrorScope(async () => {
      const s = stackChunked(tensors, 0, 3), c = concatChunked(tensors, 0, 3);
      expect(s.shape).toEqual([17, 5]);
      const out = [Array.from(await s.data()), Array.from(await c.data())];
      s.dispose();
      c.dispose();
      return out;
    });
    expect(stacked).toEqual(arrays.flat());
    expect(joined).toEqual(arrays.flat());
    tensors.forEach((t) => t.dispose());
  });

  it('a plain tf.addN past the limit throws a GpuError inside a scope, and nothing after it is poisoned', async () => {
    const { tensors } = vectors(maxKernelInputs() + 2);
    const run = gpuErrorScope(async () => {
      const t = tf.addN(tensors);
      await t.data();
      t.dispose();
    });
    await expect(run).rejects.toThrow(GpuError);
    await expect(run).rejects.toMatchObject({ kind: 'validation', message: expect.stringMatching(/failed validation.*storage buffers/) });
    // The error was reported once: the next scope runs clean.
    const ok = await gpuErrorScope(async () => {
      const t = tf.square(tf.scalar(2));
      const v = (await t.data())[0];
      t.dispose();
      return v;
    });
    expect(ok).toBe(4);
    tensors.forEach((t) => t.dispose());
  });

  it('outside a scope the error is recorded and thrown by the next check', async () => {
    const { tensors } = vectors(maxKernelInputs() + 2);
    const t = tf.addN(tensors);
    await t.data(); // returns whatever the buffer held: the silent failure this guards against
    t.dispose();
    await new Promise((r) => setTimeout(r, 20)); // Dawn delivers uncaptured errors from its event loop
    expect(() => checkGpuErrors()).toThrow(/WebGPU error: a GPU command failed validation/);
    expect(() => checkGpuErrors()).not.toThrow();
    tensors.forEach((t) => t.dispose());
  });
});
