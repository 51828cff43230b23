/**
 * Bench: the WGSL LayerNorm (kernels/layernorm) forward + dx, dw, db against tfjs's composed ops (mean, sub, square,
 * mean, add, sqrt, div, mul, add and their autodiff) on the SmolLM2 step's hidden states, [1024, 576]. In quick mode
 * (a software adapter) the rows shrink to 128, and the shape string says so.
 */
import { SHAPE, type Harness } from '../kernel-harness';
import { tf } from '../../src/kernels/tf';
import { layerNormWebGpu } from '../../src/kernels/layernorm/layernorm';

export async function benchLayernormWebgpu(h: Harness, device: string): Promise<void> {
  const N = h.quick ? 128 : SHAPE.N;
  const { C } = SHAPE;
  const eps = 1e-5;
  const x = tf.randomNormal([N, C]), w = tf.randomNormal([C], 1, 0.1), b = tf.randomNormal([C], 0, 0.1), dy = tf.randomNormal([N, C]);
  const composed = (a: tf.Tensor, g: tf.Tensor, c: tf.Tensor) => {
    const centered = tf.sub(a, tf.mean(a, -1, true));
    return tf.add(tf.mul(tf.div(centered, tf.sqrt(tf.add(tf.mean(tf.square(centered), -1, true), eps))), g), c);
  };
  const step = (norm: (a: tf.Tensor, g: tf.Tensor, c: tf.Tensor) => tf.Tensor) => () => {
    const { value, grads } = tf.valueAndGrads((a: tf.Tensor, g: tf.Tensor, c: tf.Tensor) => norm(a, g, c))([x, w, b], dy);
    return [value, ...grads];
  };
  const ours = await h.time(step((a, g, c) => layerNormWebGpu(a, g, c, eps)!));
  const peer = await h.time(step(composed));
  h.line('norm', 'webgpu', device, `LayerNorm [${N},${C}] forward + dx + dw + db${h.quick ? ' (quick: shrunk for a software adapter)' : ''}`, ours, peer);
  tf.dispose([x, w, b, dy]);
}
