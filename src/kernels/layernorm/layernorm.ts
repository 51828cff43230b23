/**
 * LayerNorm as our own WebGPU kernels ('WebiftLayerNorm', 'WebiftLayerNormGrad'), registered with tfjs and wired into
 * a gradient: the forward is one dispatch instead of tfjs's eight or so (mean, sub, square, mean, add, sqrt, div, mul,
 * add), the backward one dispatch for dx plus dw = Σ dy·x̂ and db = Σ dy, where x̂ comes from the forward kernel run
 * with w = 1, b = 0 (one dispatch) and the sums over rows are tfjs reductions. Programs follow tfjs-webgpu's program
 * shape (variableNames, outputShape, dispatch, shaderKey, getUserCode); the shaders are in layernorm.wgsl.ts and
 * the oracle in reference.ts. On other backends `layerNormWebGpu` returns null and the caller keeps the composed ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useSubgroups } from '../gpu-features';
import { f32u, registerProgramKernel } from '../webgpu-program';
import { rowDispatch } from '../wgsl-common';
import { backwardCode, forwardCode, WG } from './layernorm.wgsl';

const FWD = 'WebiftLayerNorm';
const BWD = 'WebiftLayerNormGrad';

class LayerNormProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WG, 1, 1];
  uniforms = 'eps : f32,';
  size = false;

  constructor(rows: number, C: number, private readonly backward: boolean, private readonly subgroups: boolean) {
    this.variableNames = backward ? ['x', 'w', 'dy'] : ['x', 'w', 'b'];
    this.outputShape = [rows, C];
    this.dispatch = rowDispatch(rows);
    this.shaderKey = `webift_layernorm_${backward ? 'bwd' : 'fwd'}${subgroups ? '_sg' : ''}`;
  }

  getUserCode(): string {
    return this.backward ? backwardCode(this.subgroups) : forwardCode(this.subgroups);
  }
}


function register(): void {
  for (const [name, backward] of [[FWD, false], [BWD, true]] as const) {
    registerProgramKernel<{ eps: number }>(name, ({ x, w, b, dy }, { eps }, run) =>
      run(new LayerNormProgram(x.shape[0], x.shape[1], backward, useSubgroups()), [x, w, backward ? dy : b], [f32u(eps)]));
  }
}

const run = (name: string, inputs: tf.NamedTensorMap, eps: number) => tf.engine().runKernel(name, inputs, { eps } as unknown as tf.NamedAttrMap) as tf.Tensor;

/**
 * LayerNorm over the last axis (biased variance, as torch.nn.LayerNorm) on the WebGPU kernels, with its gradients
 * (dx from the kernel; dw, db composed). Null when the backend is not webgpu or x is not f32.
 */
export function layerNormWebGpu(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor | null {
  if (tf.getBackend() !== 'webgpu' || x.dtype !== 'float32' || w.dtype !== 'float32' || b.dtype !== 'float32') return null;
  register();
  const C = x.shape[x.rank - 1]!;
  const f = tf.customGrad(((x2: tf.Tensor, wv: tf.Tensor, bv: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
    save([x2, wv]);
    return {
      value: run(FWD, { x: x2, w: wv, b: bv }, eps),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved;
        const dx = run(BWD, { x: xs, w: ws, dy }, eps);
        const xhat = run(FWD, { x: xs, w: tf.onesLike(ws), b: tf.zerosLike(ws) }, eps);
        return [dx, tf.sum(tf.mul(dy, xhat), 0), tf.sum(dy, 0)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const x2 = tf.reshape(x, [-1, C]);
  return tf.reshape(f(x2, w, b) as tf.Tensor, x.shape);
}
