/**
 * Ops over a list of tensors, split into groups that one kernel can bind. A WebGPU program binds every input and its
 * output as a storage buffer; tfjs's AddN binds them all at once and fails validation past the device's
 * maxStorageBuffersPerShaderStage (the WebGPU default is 8), after which its result is stale memory. Every addN,
 * stack and concat over a list whose length we do not control goes through here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { maxKernelInputs } from '../platform/gpu-device';

/** Splits `xs` into consecutive groups of at most `n`. */
function groups<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

function limitOf(maxInputs: number | undefined): number {
  const n = Math.floor(maxInputs ?? maxKernelInputs());
  if (!(n >= 2)) throw new Error(`a kernel must take at least 2 inputs, got a limit of ${maxInputs}`);
  return n;
}

/**
 * Elementwise sum of same-shape tensors, as tf.addN, in groups of at most `maxInputs` (default: what the active
 * backend can bind). The groups' sums are summed the same way, so the association differs from one flat addN only
 * when the list is longer than the limit. Intermediates are disposed; the inputs are not.
 */
export function addNChunked<T extends tf.Tensor>(xs: T[], maxInputs?: number): T {
  if (xs.length === 0) throw new Error('addNChunked needs at least one tensor');
  const n = limitOf(maxInputs);
  return tf.tidy(() => {
    let level: tf.Tensor[] = xs;
    while (level.length > n) level = groups(level, n).map((g) => (g.length === 1 ? g[0] : tf.addN(g)));
    return level.length === 1 ? tf.clone(level[0]) : tf.addN(level);
  }) as T;
}

/** tf.concat in groups of at most `maxInputs`. */
export function concatChunked<T extends tf.Tensor>(xs: T[], axis = 0, maxInputs?: number): T {
  if (xs.length === 0) throw new Error('concatChunked needs at least one tensor');
  const n = limitOf(maxInputs);
  return tf.tidy(() => {
    let level: tf.Tensor[] = xs;
    while (level.length > n) level = groups(level, n).map((g) => (g.length === 1 ? g[0] : tf.concat(g, axis)));
    return level.length === 1 ? tf.clone(level[0]) : tf.concat(level, axis);
  }) as T;
}

/** tf.stack in groups of at most `maxInputs`: each group is stacked, then the groups are concatenated. */
export function stackChunked(xs: tf.Tensor[], axis = 0, maxInputs?: number): tf.Tensor {
  if (xs.length === 0) throw new Error('stackChunked needs at least one tensor');
  const n = limitOf(maxInputs);
  if (xs.length <= n) return tf.stack(xs, axis);
  return tf.tidy(() => concatChunked(groups(xs, n).map((g) => tf.stack(g, axis)), axis, n));
}
