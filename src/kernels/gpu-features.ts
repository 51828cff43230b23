/**
 * Which optional WebGPU features the active tfjs backend's device has (platform/gpu-device.ts requests them where the
 * adapter offers them), and which kernel variants follow from them. All false on other backends.
 * Subgroups: the row-reduction kernels (RMSNorm, LayerNorm, the cross-entropy's row statistics) reduce within a
 * subgroup first when the device has the feature and hoists `enable` directives (tfjs's prelude comes first);
 * the tfjs flag WEBIFT_WEBGPU_SUBGROUPS (default true; `?tfjsflags=WEBIFT_WEBGPU_SUBGROUPS:false` in a page) turns
 * them off, which is how the tests run both variants. No kernel uses shader-f16: no adapter on the development and
 * CI machines offers it (SwiftShader and lavapipe do not), and a variant ships only with a test that runs it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { takesEnableDirectives } from '../platform/gpu-device';
import { registerKernelFlag } from './flags';

export interface GpuFeatures {
  shaderF16: boolean;
  subgroups: boolean;
  timestampQuery: boolean;
}

export const SUBGROUP_FLAG = 'WEBIFT_WEBGPU_SUBGROUPS';
registerKernelFlag(SUBGROUP_FLAG, () => true);

function device(): GPUDevice | undefined {
  return tf.getBackend() === 'webgpu' ? (tf.backend() as unknown as { device?: GPUDevice }).device : undefined;
}

export function gpuFeatures(): GpuFeatures {
  const d = device();
  const has = (f: string) => !!d?.features.has(f);
  return { shaderF16: has('shader-f16'), subgroups: has('subgroups'), timestampQuery: has('timestamp-query') };
}

/** Whether the WGSL kernels take their subgroup variants now: the device has subgroups, and the flag allows them. */
export function useSubgroups(): boolean {
  const d = device();
  return !!d && d.features.has('subgroups') && takesEnableDirectives(d) && tf.env().getBool(SUBGROUP_FLAG);
}
