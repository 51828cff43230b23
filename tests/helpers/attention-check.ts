/**
 * The check both attention kernel suites run (tests/kernels/attention-cpu and attention-webgpu): seeded q, k, v and
 * dy for a shape, then a kernel's output and its q, k, v gradients of sum(out · dy) against the shared oracle
 * (src/kernels/attention/reference.ts).
 */
import { expect } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { attentionGradReference, attentionReference, type RefDims, type RefOptions } from '../../src/kernels/attention/reference';
import { expectClose, lcg } from './random';

export interface AttentionInputs {
  qv: Float32Array; kv: Float32Array; vv: Float32Array; dyv: Float32Array;
  q: tf.Tensor; k: tf.Tensor; v: tf.Tensor; dy: tf.Tensor;
}

/** q (B, H, T, D), k and v (B, Hkv, S, D), dy like q, from LCG seeds 1 to 4, as arrays and tensors. */
export function attentionInputs(n: RefDims): AttentionInputs {
  const { B, H, Hkv, T, S, D } = n;
  const qv = lcg(B * H * T * D, 1), kv = lcg(B * Hkv * S * D, 2), vv = lcg(B * Hkv * S * D, 3), dyv = lcg(B * H * T * D, 4);
  return { qv, kv, vv, dyv, q: tf.tensor4d(qv, [B, H, T, D]), k: tf.tensor4d(kv, [B, Hkv, S, D]), v: tf.tensor4d(vv, [B, Hkv, S, D]), dy: tf.tensor4d(dyv, [B, H, T, D]) };
}

/** attend's output and dq, dk, dv within (atol, rtol) of the oracle's; frees the tensors it made (not the inputs). */
export async function expectAttentionLikeOracle(attend: (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.Tensor | null, inp: AttentionInputs, n: RefDims, ref: RefOptions, atol: number, rtol: number): Promise<void> {
  const { qv, kv, vv, dyv, q, k, v, dy } = inp;
  const out = attend(q, k, v)!;
  expect(out).not.toBeNull();
  await expectClose(out, attentionReference(qv, kv, vv, n, ref), atol, rtol, 'out');
  const [dq, dk, dv] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(attend(a, b, c)!, dy)))([q, k, v]);
  const g = attentionGradReference(qv, kv, vv, dyv, n, ref);
  await expectClose(dq, g.dq, atol, rtol, 'dq');
  await expectClose(dk, g.dk, atol, rtol, 'dk');
  await expectClose(dv, g.dv, atol, rtol, 'dv');
  tf.dispose([out, dq, dk, dv]);
}
