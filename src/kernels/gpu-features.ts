/**
 * Which optional WebGPU features the active tfjs backend's device has (platform/gpu-device.ts requests them where the
 * adapter offers them), so a kernel can pick a variant. All false on other backends. No kernel uses shader-f16 or
 * subgroups yet: the SwiftShader adapter the tests run on has subgroups but not shader-f16, and a variant ships
 * only with a test that runs it.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface GpuFeatures {
  shaderF16: boolean;
  subgroups: boolean;
  timestampQuery: boolean;
}

export function gpuFeatures(): GpuFeatures {
  const device = tf.getBackend() === 'webgpu' ? (tf.backend() as unknown as { device?: GPUDevice }).device : undefined;
  const has = (f: string) => !!device?.features.has(f);
  return { shaderF16: has('shader-f16'), subgroups: has('subgroups'), timestampQuery: has('timestamp-query') };
}
