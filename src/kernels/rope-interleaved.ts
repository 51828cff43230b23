/**
 * GPT-J style RoPE ("rotate_every_two"), as CodeGen / MOSS and ChatGLM2 apply it: the pairs are adjacent dims
 * (2i, 2i+1) of the first R dims of each head, x' = x·cos + rot(x)·sin with rot(x) = (−x₁, x₀, −x₃, x₂, …), and the
 * dims from R on pass through. Frequency i serves both members of its pair. HF's rotate_half convention (pairs
 * (i, i + D/2)) is ops.ts's applyRope. On webgpu the WGSL kernel in kernels/rope (its own gradient), else plain
 * tfjs ops and tfjs's gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ropeFused } from './rope/rope';

/** Host cos/sin tables (B, 1, T, R) in the interleaved layout [c₀, c₀, c₁, c₁, …], R = 2 * invFreq.length. */
export function interleavedRopeHostTables(invFreq: Float32Array, positions: Int32Array, B: number, T: number): { tensors(): { cos: tf.Tensor4D; sin: tf.Tensor4D } } {
  const half = invFreq.length;
  const R = half * 2;
  const cos = new Float32Array(B * T * R);
  const sin = new Float32Array(B * T * R);
  for (let bt = 0; bt < B * T; bt++) {
    const p = positions[bt];
    for (let i = 0; i < half; i++) {
      // Math.fround mirrors torch's f32 product pos * inv_freq before cos/sin.
      const a = Math.fround(p * invFreq[i]);
      const c = Math.cos(a), s = Math.sin(a);
      cos[bt * R + 2 * i] = c; cos[bt * R + 2 * i + 1] = c;
      sin[bt * R + 2 * i] = s; sin[bt * R + 2 * i + 1] = s;
    }
  }
  return { tensors: () => ({ cos: tf.tensor4d(cos, [B, 1, T, R]), sin: tf.tensor4d(sin, [B, 1, T, R]) }) };
}

/**
 * x (B, H, T, D): the first R = cos.shape[3] dims rotated in adjacent pairs, the rest unchanged. On webgpu (f32) one
 * WGSL dispatch each way (kernels/rope), else tfjs ops.
 */
export function applyRopeInterleaved(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  const fused = ropeFused(x, cos, sin, 'interleaved');
  if (fused) return fused;
  const [B, H, T, D] = x.shape as number[];
  const R = cos.shape[3]!;
  const [xr, pass] = R === D ? [x, null] : tf.split(x, [R, D - R], 3);
  const pairs = tf.reshape(xr, [B, H, T, R / 2, 2]);
  const [even, odd] = tf.split(pairs, 2, 4); // (B, H, T, R/2, 1) each
  const rotated = tf.reshape(tf.concat([tf.neg(odd), even], 4), [B, H, T, R]);
  const out = tf.add(tf.mul(xr, cos), tf.mul(rotated, sin));
  return pass ? tf.concat([out, pass], 3) : out;
}
