/**
 * The one door to tfjs for code above kernels/. Other folders import `tf` and `Tensor` from here, never from
 * '@tensorflow/tfjs-core' directly (lint enforces it), so swapping the substrate touches kernels/ and platform/.
 */
// tfjs-core alone registers no gradients (the `@tensorflow/tfjs` umbrella does this import); training needs them.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
// The threaded wasm matmul registers itself for when the wasm backend is chosen.
import './gemm/register';
export * as tf from '@tensorflow/tfjs-core';
export type { Tensor, Rank, DataType, TensorContainer } from '@tensorflow/tfjs-core';

import * as core from '@tensorflow/tfjs-core';

/** tf.tidy for any nested structure of tensors (objects of arrays of objects), typed as what fn returns. */
export function tidy<T>(fn: () => T): T {
  return core.tidy(fn as unknown as () => core.TensorContainer) as unknown as T;
}
