/**
 * Softmax cross-entropy of a logits chunk as our own WebGPU kernels ('WebiftXentStats', 'WebiftXentGrad'), for
 * kernels/linear-xent: two dispatches give the per-row loss and the logits' gradient dz at once, in place of tfjs's
 * max, sub, exp, sum, log, gather, oneHot, cast, div, sub and mul chain (each a full pass over an (n, V) buffer, with
 * several such buffers alive). Programs follow tfjs-webgpu's program shape (variableNames, outputShape, dispatch,
 * shaderKey, getUserCode); the shaders are in xent.wgsl.ts and the oracle in reference.ts. This is already the
 * gradient (linear-xent's custom gradient carries it), so no tfjs gradient is registered. Null off webgpu.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useSubgroups } from '../gpu-features';
import { f32u, registerProgramKernel } from '../webgpu-program';
import { rowDispatch } from '../wgsl-common';
import { gradCode, statsCode, WG } from './xent.wgsl';

const STATS = 'WebiftXentStats';
const GRAD = 'WebiftXentGrad';

class XentProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WG, 1, 1];
  uniforms: string;
  size: boolean;

  constructor(n: number, V: number, private readonly grad: boolean, private readonly subgroups: boolean) {
    this.variableNames = grad ? ['z', 'tgt', 'stats'] : ['z', 'tgt'];
    this.outputShape = grad ? [n, V] : [n, 2];
    this.uniforms = grad ? 'cap : f32, scale : f32,' : 'cap : f32,';
    this.size = grad;
    // stats: one workgroup per row; grad: flat, one thread per element (tfjs folds a dispatch past the limit).
    this.dispatchLayout = grad ? { x: [0, 1] } : { x: [0] };
    this.dispatch = grad ? [Math.ceil((n * V) / WG), 1, 1] : rowDispatch(n);
    this.shaderKey = grad ? 'webift_xent_grad' : `webift_xent_stats${subgroups ? '_sg' : ''}`;
  }

  getUserCode(): string {
    return this.grad ? gradCode() : statsCode(this.subgroups);
  }
}


function register(): void {
  for (const [name, grad] of [[STATS, false], [GRAD, true]] as const) {
    registerProgramKernel<{ cap: number; scale: number }>(name, ({ z, tgt, stats }, { cap, scale }, run) =>
      run(new XentProgram(z.shape[0], z.shape[1], grad, !grad && useSubgroups()), grad ? [z, tgt, stats] : [z, tgt], grad ? [f32u(cap), f32u(scale)] : [f32u(cap)]));
  }
}

/**
 * For logits z (n, V) (raw: before the final softcap `cap`, 0 for none) and targets (n, −1 = ignored): the per-row
 * loss (n) and dz = d(scale · Σ loss)/dz (n, V). Null when the backend is not webgpu or z is not f32.
 */
export function softmaxXentWebGpu(z: tf.Tensor, targets: tf.Tensor, cap: number, scale: number): { loss: tf.Tensor; dz: tf.Tensor } | null {
  if (tf.getBackend() !== 'webgpu' || z.dtype !== 'float32' || z.rank !== 2 || targets.dtype !== 'int32') return null;
  register();
  const attrs = { cap, scale } as unknown as tf.NamedAttrMap;
  const stats = tf.engine().runKernel(STATS, { z, tgt: targets }, attrs) as tf.Tensor;
  const dz = tf.engine().runKernel(GRAD, { z, tgt: targets, stats }, attrs) as tf.Tensor;
  const loss = tf.reshape(tf.slice(stats, [0, 0], [-1, 1]), [-1]);
  stats.dispose();
  return { loss, dz };
}
