/**
 * Which optional WebGPU features the active tfjs backend's device has (platform/gpu-device.ts requests them where the
 * adapter offers them), and which kernel variants follow from them. All false on other backends.
 * Subgroups: the row-reduction kernels (RMSNorm, LayerNorm, the cross-entropy's row statistics) reduce within a
 * subgroup first when the device has the feature and hoists `enable` directives (tfjs's prelude comes first);
 * the tfjs flag WEBIFT_WEBGPU_SUBGROUPS (default true; `?tfjsflags=WEBIFT_WEBGPU_SUBGROUPS:false` in a page, or
 * WEBIFT_WEBGPU_SUBGROUPS=0 in Node's environment) turns them off, which is how the tests run both variants.
 * shader-f16: the frozen-weight matmul's forward products (x · W, f32 or packed W) take f16 tiles with f32
 * accumulation (frozen-matmul.wgsl.ts), the way a GPU trainer's autocast runs its forward. The backward (dy · Wᵀ)
 * stays f32: gradients below f16's 6e-8 would flush to zero without loss scaling. The tfjs flag WEBIFT_WEBGPU_F16
 * (default true; =0 in Node's environment) turns it off. CI runs it on Mesa's lavapipe, which has the feature (SwiftShader does not):
 * tests/kernels/f16-lavapipe.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { envVar } from '../platform/env';
import { takesEnableDirectives } from '../platform/gpu-device';
import { registerKernelFlag } from './flags';

export interface GpuFeatures {
  shaderF16: boolean;
  subgroups: boolean;
  timestampQuery: boolean;
}

export const SUBGROUP_FLAG = 'WEBIFT_WEBGPU_SUBGROUPS';
registerKernelFlag(SUBGROUP_FLAG, () => envVar(SUBGROUP_FLAG) !== '0');
export const F16_FLAG = 'WEBIFT_WEBGPU_F16';
registerKernelFlag(F16_FLAG, () => envVar(F16_FLAG) !== '0');

function device(): GPUDevice | undefined {
  return tf.getBackend() === 'webgpu' ? (tf.backend() as unknown as { device?: GPUDevice }).device : undefined;
}

export function gpuFeatures(): GpuFeatures {
  const d = device();
  const has = (f: string) => !!d?.features.has(f);
  return { shaderF16: has('shader-f16'), subgroups: has('subgroups'), timestampQuery: has('timestamp-query') };
}

/** Whether `feature` is on the active WebGPU device, which hoists `enable` directives, and `flag` allows it. */
function variantOn(feature: string, flag: string): boolean {
  const d = device();
  return !!d && d.features.has(feature) && takesEnableDirectives(d) && tf.env().getBool(flag);
}

/** Whether the WGSL kernels take their subgroup variants now: the device has subgroups, and the flag allows them. */
export function useSubgroups(): boolean {
  return variantOn('subgroups', SUBGROUP_FLAG);
}

/** Whether the f16 variants run now: the device has shader-f16, and WEBIFT_WEBGPU_F16 allows them. */
export function useF16(): boolean {
  return variantOn('shader-f16', F16_FLAG);
}
