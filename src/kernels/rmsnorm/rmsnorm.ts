/**
 * RMSNorm as our own WebGPU kernels ('WebiftRmsNorm', 'WebiftRmsNormGrad'), registered with tfjs and wired into a
 * gradient: the forward is one dispatch instead of tfjs's six (square, mean, add, rsqrt, mul, mul), the backward
 * one dispatch for dx plus a composed dw (a reduction over rows, needed only when w trains). Programs follow
 * tfjs-webgpu's program shape (variableNames, outputShape, dispatch, shaderKey, getUserCode); the shaders are in
 * rmsnorm.wgsl.ts and the oracle in reference.ts. On other backends `rmsNormWebGpu` returns null and the caller
 * keeps the composed ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useSubgroups } from '../gpu-features';
import { f32u, registerProgramKernel } from '../webgpu-program';
import { rowDispatch } from '../wgsl-common';
import { backwardCode, forwardCode, WG } from './rmsnorm.wgsl';

const FWD = 'WebiftRmsNorm';
const BWD = 'WebiftRmsNormGrad';

class RmsNormProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WG, 1, 1];
  uniforms = 'eps : f32,';
  size = false;

  constructor(rows: number, C: number, private readonly backward: boolean, private readonly subgroups: boolean) {
    this.variableNames = backward ? ['x', 'w', 'dy'] : ['x', 'w'];
    this.outputShape = [rows, C];
    this.dispatch = rowDispatch(rows);
    this.shaderKey = `webift_rmsnorm_${backward ? 'bwd' : 'fwd'}${subgroups ? '_sg' : ''}`;
  }

  getUserCode(): string {
    return this.backward ? backwardCode(this.subgroups) : forwardCode(this.subgroups);
  }
}


function register(): void {
  for (const [name, backward] of [[FWD, false], [BWD, true]] as const) {
    registerProgramKernel<{ eps: number }>(name, ({ x, w, dy }, { eps }, run) =>
      run(new RmsNormProgram(x.shape[0], x.shape[1], backward, useSubgroups()), backward ? [x, w, dy] : [x, w], [f32u(eps)]));
  }
}

/**
 * RMSNorm over the last axis on the WebGPU kernels, with its gradient (dx from the kernel; dw composed). `w` is the
 * effective scale (Gemma's 1 + w already added). Null when the backend is not webgpu.
 */
export function rmsNormWebGpu(x: tf.Tensor, w: tf.Tensor, eps: number): tf.Tensor | null {
  if (tf.getBackend() !== 'webgpu' || x.dtype !== 'float32') return null;
  register();
  const C = x.shape[x.rank - 1]!;
  const f = tf.customGrad(((x2: tf.Tensor, wv: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
    save([x2, wv]);
    return {
      value: tf.engine().runKernel(FWD, { x: x2, w: wv }, { eps } as unknown as tf.NamedAttrMap) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved;
        const dx = tf.engine().runKernel(BWD, { x: xs, w: ws, dy }, { eps } as unknown as tf.NamedAttrMap) as tf.Tensor;
        const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xs), -1, true), eps));
        const dw = tf.sum(tf.mul(tf.mul(dy, xs), rstd), 0);
        return [dx, dw];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const x2 = tf.reshape(x, [-1, C]);
  return tf.reshape(f(x2, w) as tf.Tensor, x.shape);
}
