/**
 * Masked next-token cross-entropy with HF label semantics: logits[:, t] predicts labels[:, t+1]; label -100 is
 * ignored; the result is the MEAN over all non-ignored targets of the batch (not per row).
 * The gradient is written out, w·(softmax − onehot)/N, instead of backpropagating through logSumExp's max
 * (ENVIRONMENT.md pitfall 6); the one-hot is built as int32 then cast (pitfall 3: float oneHot is garbage on wasm).
 */
import { tf, type Tensor } from '../kernels/tf';
import { linearCrossEntropy, slicedLinearCrossEntropy } from '../kernels/linear-xent';
import { headBlocks } from '../kernels/qtensor';
import type { Model } from '../model/types';

export const IGNORE_INDEX = -100;

/** Shifted targets (B, T): target[b, t] = labels[b, t+1], and IGNORE at t = T-1. Returns the count of real targets. */
export function shiftLabels(labels: Int32Array, B: number, T: number): { targets: Int32Array; count: number } {
  const targets = new Int32Array(B * T).fill(IGNORE_INDEX);
  let count = 0;
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T - 1; t++) {
      const y = labels[b * T + t + 1];
      targets[b * T + t] = y;
      if (y !== IGNORE_INDEX) count++;
    }
  return { targets, count };
}

/**
 * Mean cross-entropy of logits (B, T, V) against HF-style labels (B, T). Differentiable with respect to logits.
 * Throws when no target is left (every label ignored): HF would return NaN there, which helps nobody.
 */
export function causalLmLoss(logits: Tensor, labels: Int32Array): Tensor {
  const [B, T, V] = logits.shape as number[];
  if (labels.length !== B * T) throw new Error(`labels have ${labels.length} values, logits imply ${B * T}`);
  const { targets, count } = shiftLabels(labels, B, T);
  if (count === 0) throw new Error('every label is -100: there is nothing to learn from in this batch');
  // -1 gives an all-zero one-hot row, which drops ignored positions from the sum.
  const idx = Int32Array.from(targets, (y) => (y === IGNORE_INDEX ? -1 : y));
  for (const y of idx) if (y >= V) throw new Error(`label ${y} is outside the vocabulary (${V})`);
  const f = tf.customGrad(((z: Tensor, save: (ts: Tensor[]) => void) => {
    // Built inside the forward and passed through save(): captured tensors are disposed by customGrad (pitfall 7).
    const onehot = tf.reshape(tf.cast(tf.oneHot(tf.tensor1d(idx, 'int32'), V), 'float32'), [B * T, V]);
    const keepRow = tf.tensor2d(Float32Array.from(idx, (y) => (y < 0 ? 0 : 1)), [B * T, 1]);
    const logp = tf.logSoftmax(tf.reshape(z, [B * T, V]), -1);
    save([logp, onehot, keepRow]);
    const value = tf.div(tf.neg(tf.sum(tf.mul(onehot, logp))), count);
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [lp, oh, keep] = saved;
        const g = tf.mul(tf.sub(tf.mul(tf.exp(lp), keep), oh), tf.div(dy, count));
        return tf.reshape(g, [B, T, V]);
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const loss = f(logits) as Tensor;
  return loss;
}

/**
 * The same mean cross-entropy, from the final hidden state (B, T, C) through the model's frozen lm_head in token
 * chunks (kernels/linear-xent.ts), so the (B, T, V) logits never exist at once. Equal to
 * causalLmLoss(forward(...).logits, labels) (tests/train/chunked-loss.test.ts). A tied head reuses the embedding as
 * its transpose. Callers with a trainable head (full fine-tuning) use causalLmLoss on the logits instead.
 */
/** Vocabulary columns per slice of a quantized or split head over N tokens: about 4 M logits, at least 256. */
export function headSliceWidth(N: number): number {
  return Math.max(256, Math.floor((4 << 20) / N));
}

export function chunkedCausalLmLoss(model: Model, hidden: Tensor, labels: Int32Array, chunkTokens?: number): Tensor {
  const [B, T, C] = hidden.shape as number[];
  if (labels.length !== B * T) throw new Error(`labels have ${labels.length} values, hidden states imply ${B * T}`);
  const V = model.config.vocabSize;
  const { targets, count } = shiftLabels(labels, B, T);
  if (count === 0) throw new Error('every label is -100: there is nothing to learn from in this batch');
  const idx = Int32Array.from(targets, (y) => (y === IGNORE_INDEX ? -1 : y));
  for (const y of idx) if (y >= V) throw new Error(`label ${y} is outside the vocabulary (${V})`);
  const w = model.weights.get('lm_head.w')!;
  const emb = model.weights.get('embed');
  const flat = tf.reshape(hidden, [B * T, C]);
  const opts = { targets: idx, count, softcap: model.config.finalSoftcap ?? 0, chunkTokens };
  const b = (model.weights.get('lm_head.b') as Tensor | undefined) ?? null; // MOSS's head bias
  if (w instanceof tf.Tensor) {
    const tiedT = model.config.tieEmbeddings && emb instanceof tf.Tensor && emb.shape[0] === V && !(emb instanceof tf.Variable) ? emb : undefined;
    return linearCrossEntropy(flat, { w, wt: tiedT, b }, opts);
  }
  // Quantized or split: decode slices of at most ~16 MB of f32 logits per pass, never the whole head.
  const width = headSliceWidth(B * T);
  const blocks = headBlocks(w);
  const segments: [number, number][] = [];
  for (const b of blocks) for (let c = 0; c < b.cols; c += width) segments.push([b.start + c, Math.min(width, b.cols - c)]);
  const slice = (c0: number, n: number): Tensor => {
    const b = blocks.find((k) => c0 >= k.start && c0 < k.start + k.cols)!;
    const local = c0 - b.start;
    return b.w instanceof tf.Tensor ? tf.slice(b.w, [0, local], [-1, n]) : b.w.dequantize(local, n);
  };
  return slicedLinearCrossEntropy(flat, { V, segments, slice, b }, opts);
}

/** True when the head is frozen, so the chunked loss applies. */
export function headIsFrozen(model: Model): boolean {
  const w = model.weights.get('lm_head.w');
  return !!w && !(w instanceof tf.Variable);
}
