/**
 * Bench: our RoPE kernel (kernels/rope: WGSL on webgpu, a heap loop on wasm) forward + gradient against tfjs's
 * composed rotate_half ops (split, neg, concat, mul, mul, add, and their autodiff) on the SmolLM2 step's query,
 * (B, H, T, D) = (4, 9, 256, 64), with the model's host tables, on the current backend. In quick mode on webgpu (a
 * software adapter) the shape shrinks to (1, 9, 64, 64), and the shape string says so.
 */
import { SHAPE, type Harness } from '../kernel-harness';
import { tf } from '../../src/kernels/tf';
import { ropeHostTables } from '../../src/kernels/ops';
import { ropeFused } from '../../src/kernels/rope/rope';

export async function benchRope(h: Harness, device: string): Promise<void> {
  const backend = tf.getBackend();
  const shrink = h.quick && backend === 'webgpu';
  const [B, T] = shrink ? [1, 64] : [SHAPE.B, SHAPE.T];
  const { H, D } = SHAPE;
  const invFreq = Float32Array.from({ length: D / 2 }, (_, i) => 1 / 10000 ** ((2 * i) / D));
  const pos = Int32Array.from({ length: B * T }, (_, i) => i % T);
  const { cos, sin } = ropeHostTables(invFreq, pos, B, T).tensors();
  const q = tf.randomNormal([B, H, T, D]), dy = tf.randomNormal([B, H, T, D]);
  const composed = (x: tf.Tensor) => {
    const [x1, x2] = tf.split(x, 2, 3);
    return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2), x1], 3), sin));
  };
  const step = (rope: (x: tf.Tensor) => tf.Tensor) => () => {
    const { value, grads } = tf.valueAndGrads((x: tf.Tensor) => rope(x))([q], dy);
    return [value, ...grads];
  };
  const ours = await h.time(step((x) => ropeFused(x, cos, sin, 'half')!));
  const peer = await h.time(step(composed));
  h.line('rope', backend, device, `rotate_half q [${B},${H},${T},${D}] forward + dx${shrink ? ' (quick: shrunk for a software adapter)' : ''}`, ours, peer);
  tf.dispose([q, dy, cos, sin]);
}
