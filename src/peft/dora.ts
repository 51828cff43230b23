/**
 * DoRA (arXiv:2402.09353) as peft 0.13's DoraLinearLayer: the weight is split into a magnitude m [out] and the
 * direction W' = W + scaling * (B A); the output is m / ||W'||_c * (x W' ) + bias, with ||W'||_c the L2 norm of
 * each output column over the input axis, treated as a constant (detached, §4.3 of the paper).
 * PEFT adds it to base(x) as (m/||W'|| - 1) * (x W) + (m/||W'||) * scaling * B(A(x)), x being the dropped-out input.
 * Not handled: DoRA on embeddings or convolutions. A quantized or split W is decoded one column block at a time.
 */
import { tf, type Tensor } from '../kernels/tf';
import { linear } from '../kernels/ops';
import { dense, headBlocks, releaseDense, type WeightTensor } from '../kernels/qtensor';
import type { LoraModule } from './adapter';

/** L2 norm of each output column over the input axis: W [in, out] -> (out). PEFT: linalg.norm(W_hf, dim=1). */
export function columnNorm(w: Tensor): Tensor {
  return tf.sqrt(tf.sum(tf.square(w), 0));
}

/**
 * ||W + scaling * A B|| over the input axis: [out]. W [in, out], A [in, r], B [r, out]. No gradient flows through it.
 * Column block by column block, so a quantized W is never decoded whole.
 */
export function doraWeightNorm(w: WeightTensor, a: Tensor, b: Tensor, scaling: number): Tensor {
  const norms = (A: Tensor, B: Tensor) => headBlocks(w).map(({ w: blk, start, cols }) => tf.tidy(() => {
    const d = dense(blk); // (in, cols)
    const n = columnNorm(tf.add(d, tf.mul(tf.matMul(A, cols === B.shape[1] ? B : tf.slice(B, [0, start], [-1, cols])), scaling)));
    releaseDense(d, blk);
    return n;
  }));
  const f = tf.customGrad(((A: Tensor, B: Tensor) => ({
    value: ((parts: Tensor[]) => (parts.length === 1 ? parts[0] : tf.concat(parts)))(norms(A, B)),
    // Only shapes are used here, never a tensor captured from the forward (ENVIRONMENT.md pitfall 7).
    gradFunc: () => [tf.zeros(A.shape), tf.zeros(B.shape)],
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(a, b) as Tensor;
}

/**
 * y = base(x) (..., out) plus the DoRA terms. xd (N, in) is the LoRA branch input (dropped out when `dropped`),
 * delta = xd A B (N, out) unscaled. Without dropout the base product is y - bias, as PEFT reuses base_result.
 */
export function doraApply(m: LoraModule, y: Tensor, xd: Tensor, dropped: boolean, w: WeightTensor, bias: Tensor | null, delta: Tensor, lead: number[]): Tensor {
  const norm = doraWeightNorm(w, m.a, m.b, m.scaling); // (out)
  const s = tf.div(m.magnitude!, norm); // (out): m / ||W'||, trainable through m
  const y2 = tf.reshape(y, [-1, m.outDim]); // (N, out)
  const baseNoBias = dropped ? linear(xd, w) : bias ? tf.sub(y2, bias) : y2; // (N, out), W frozen
  const extra = tf.add(tf.mul(tf.sub(s, 1), baseNoBias), tf.mul(tf.mul(delta, m.scaling), s));
  return tf.add(y, tf.reshape(extra, [...lead, m.outDim]));
}
