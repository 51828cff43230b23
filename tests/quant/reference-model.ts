/**
 * The test oracle for a quantized model: the f32 model whose every matrix is quantize -> dequantize of the f32
 * model's, computed with the plain-TypeScript reference (src/quant) only. The embedding is quantized in head layout
 * [C, V] (groups along C), as the loader does, then turned back to [V, C].
 */
import { tf } from '../../src/kernels/tf';
import { modelFromWeights } from '../../src/model/load';
import type { QuantSpec } from '../../src/kernels/packed';
import type { Model, Weights } from '../../src/model/types';
import { dequantize, quantize } from '../../src/quant';

export function transpose(d: Float32Array, r: number, c: number): Float32Array {
  const o = new Float32Array(d.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) o[j * r + i] = d[i * c + j];
  return o;
}

export async function referenceModel(base: Model, spec: QuantSpec): Promise<Model> {
  const weights: Weights = new Map();
  const { vocabSize: V, hidden: C } = base.config;
  for (const [name, w] of base.weights) {
    const t = w as tf.Tensor;
    const d = (await t.data()) as Float32Array;
    if (t.rank === 1) weights.set(name, tf.tensor(d, t.shape));
    else if (name === 'embed') weights.set(name, tf.tensor2d(transpose(dequantize(quantize(transpose(d, V, C), C, V, spec)), C, V), [V, C]));
    else weights.set(name, tf.tensor2d(dequantize(quantize(d, t.shape[0], t.shape[1]!, spec)), t.shape as [number, number]));
  }
  return modelFromWeights(base.config, weights);
}
