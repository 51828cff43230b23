/**
 * Bench: our RMSNorm kernels (kernels/rmsnorm: WGSL on webgpu, heap loops on wasm) forward + dx + dw against tfjs's
 * composed ops (square, mean, add, rsqrt, mul, mul and their autodiff) on the SmolLM2 step's hidden states,
 * [1024, 576], on the current backend.
 */
import { SHAPE, type Harness } from '../kernel-harness';
import { tf } from '../../src/kernels/tf';
import { rmsNormWebGpu } from '../../src/kernels/rmsnorm/rmsnorm';
import { rmsNormWasm } from '../../src/kernels/rmsnorm/rmsnorm-wasm';

export async function benchRmsNorm(h: Harness, device: string): Promise<void> {
  const { N, C } = SHAPE;
  const eps = 1e-5;
  const x = tf.randomNormal([N, C]), w = tf.randomNormal([C], 1, 0.1), dy = tf.randomNormal([N, C]);
  const composed = (a: tf.Tensor, b: tf.Tensor) => tf.mul(tf.mul(a, tf.rsqrt(tf.add(tf.mean(tf.square(a), -1, true), eps))), b);
  const fused = (a: tf.Tensor, b: tf.Tensor) => (rmsNormWebGpu(a, b, eps) ?? rmsNormWasm(a, b, eps))!;
  const step = (norm: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) => () => {
    const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => norm(a, b))([x, w], dy);
    return [value, ...grads];
  };
  const ours = await h.time(step(fused));
  const peer = await h.time(step(composed));
  h.line('norm', tf.getBackend(), device, `RMSNorm [${N},${C}] forward + dx + dw`, ours, peer);
  tf.dispose([x, w, dy]);
}
