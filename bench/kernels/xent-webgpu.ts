/**
 * Bench: the WGSL softmax cross-entropy (kernels/xent) on one logits chunk against the composed tfjs chain that
 * linear-xent ran before it (logsumexp, target gather, exp, sub one-hot, scale): per-row loss summed and dz, on
 * the SmolLM2 vocabulary, z (128, 49152), with one ignored target. In quick mode (a software adapter) the chunk
 * shrinks to (16, 4099), and the shape string says so.
 */
import { SHAPE, type Harness } from '../kernel-harness';
import { tf } from '../../src/kernels/tf';
import { softmaxXentWebGpu } from '../../src/kernels/xent/xent';

export async function benchXentWebgpu(h: Harness, device: string): Promise<void> {
  const [n, V] = h.quick ? [16, 4099] : [128, SHAPE.V];
  const targets = Int32Array.from({ length: n }, (_, i) => (i === 1 ? -1 : (i * 7919) % V));
  const count = n - 1;
  const z = tf.randomNormal([n, V], 0, 2), tgt = tf.tensor1d(targets, 'int32');
  const keep = tf.tensor2d(Float32Array.from(targets, (y) => (y < 0 ? 0 : 1)), [n, 1]);
  const flat = tf.tensor1d(Int32Array.from(targets, (y, r) => r * V + Math.max(0, y)), 'int32');
  const ours = await h.time(() => {
    const { loss, dz } = softmaxXentWebGpu(z, tgt, 0, 1 / count)!;
    const s = tf.sum(loss);
    loss.dispose();
    return [s, dz];
  });
  const peer = await h.time(() => tf.tidy(() => {
    const lse = tf.logSumExp(z, 1, true);
    const zy = tf.reshape(tf.gather(tf.reshape(z, [n * V]), flat), [n, 1]);
    const loss = tf.sum(tf.mul(tf.sub(lse, zy), keep));
    const onehot = tf.cast(tf.oneHot(tgt, V), 'float32');
    const dz = tf.mul(tf.sub(tf.exp(tf.sub(z, lse)), onehot), tf.div(keep, count));
    return [loss, dz];
  }));
  h.line('cross_entropy', 'webgpu', device, `softmax cross-entropy of a logits chunk [${n},${V}], loss + dz${h.quick ? ' (quick: shrunk for a software adapter)' : ''}`, ours, peer);
  tf.dispose([z, tgt, keep, flat]);
}
