/**
 * What the metrics need from a model, without gradients: the next-token logits after a prompt (multiple choice) and
 * the summed negative log-likelihood of the learned tokens of one example (perplexity). Both go through peft's
 * adapterForward, so LoRA / DoRA / IA3 hooks and prompt / prefix tuning's virtual tokens apply as in training. One
 * row at a time (no padding); every tensor is freed before returning. Not handled: a chunked head for very large
 * vocabularies (the (T, V) logits of one example are held at once).
 */
import { tf, tidy, type Tensor } from '../kernels/tf';
import type { Model } from '../model/types';
import { adapterForward, type Adapter } from '../peft';
import type { NextTokenLogits } from './multiple-choice';

const IGNORE = -100;

/** Logits (V) for the token after `ids`, through the adapter when one is given. */
export function nextTokenLogits(model: Model, adapter: Adapter | null = null): NextTokenLogits {
  return async (ids) => {
    if (!ids.length) throw new Error('nextTokenLogits: the prompt is empty');
    const t = tidy(() => adapterForward(model, adapter, { ids: Int32Array.from(ids), B: 1, T: ids.length }, { lastOnly: true }).logits! as Tensor);
    try {
      return (await t.data()) as Float32Array;
    } finally {
      t.dispose();
    }
  };
}

/**
 * -sum log p(labels[t+1] | ids[..t]) over the positions whose label is not -100 (HF's causal-LM shift), and how
 * many there were. The mean over a set is the eval loss; exp of it is the perplexity.
 */
export async function sequenceNll(model: Model, adapter: Adapter | null, ids: Int32Array, labels: Int32Array): Promise<{ nll: number; tokens: number }> {
  const T = ids.length;
  if (labels.length !== T) throw new Error(`sequenceNll: ${labels.length} labels for ${T} ids`);
  const t = tidy(() => {
    const out = adapterForward(model, adapter, { ids, B: 1, T }, { labels });
    const lab = out.labels ?? labels; // prompt tuning prepends virtual tokens (labelled -100)
    const logits = out.logits!;
    const Tl = logits.shape[1]!, V = logits.shape[2]!;
    const keep: number[] = [], flat: number[] = [];
    for (let i = 0; i < Tl - 1; i++) {
      const y = lab[i + 1];
      if (y === IGNORE) continue;
      if (y < 0 || y >= V) throw new Error(`label ${y} is outside the vocabulary (${V})`);
      keep.push(i);
      flat.push(i * V + y);
    }
    if (!keep.length) return tf.tensor1d([0, 0]);
    const z = tf.reshape(logits, [Tl, V]);
    const lse = tf.gather(tf.logSumExp(z, 1), tf.tensor1d(keep, 'int32')); // (n,)
    const picked = tf.gather(tf.reshape(z, [-1]), tf.tensor1d(flat, 'int32')); // (n,)
    return tf.stack([tf.sum(tf.sub(lse, picked)), tf.scalar(keep.length)]);
  });
  try {
    const [nll, tokens] = await t.data();
    return { nll, tokens };
  } finally {
    t.dispose();
  }
}
