/**
 * Token choice from one processed row of scores: greedy argmax (the first maximum, as torch.argmax) and
 * multinomial sampling from softmax(scores) driven by a small seeded PRNG (mulberry32, Tommy Ettinger's
 * public-domain 32-bit generator), so one seed always gives the same tokens.
 * Not handled: reproducing torch.multinomial's random stream (HF's sampled tokens cannot be matched bit for bit).
 */

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

export { mulberry32 } from '../util/mulberry32';

/** Index of the largest score; the first one on ties (torch.argmax). NaN never wins. */
export function argmax(scores: ArrayLike<number>): number {
  let best = 0, bestV = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    if (scores[i] > bestV) {
      bestV = scores[i];
      best = i;
    }
  }
  return best;
}

/** softmax in float64; -inf entries get probability 0. */
export function softmax(scores: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) if (scores[i] > max) max = scores[i];
  const p = new Float64Array(scores.length);
  if (max === -Infinity) throw new Error('every token has score -inf: nothing can be sampled (conflicting processors?)');
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += p[i] = Math.exp(scores[i] - max);
  for (let i = 0; i < p.length; i++) p[i] /= sum;
  return p;
}

/** log_softmax in float64, written back as float32 like HF's float32 log_softmax (beam search scores). */
export function logSoftmax(scores: ArrayLike<number>): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) if (scores[i] > max) max = scores[i];
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += Math.exp(scores[i] - max);
  const lse = max + Math.log(sum);
  const out = new Float32Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = scores[i] - lse;
  return out;
}

/** One draw from softmax(scores): inverse CDF of one uniform number. Zero-probability tokens are never drawn. */
export function sampleToken(scores: ArrayLike<number>, rng: Rng): number {
  const p = softmax(scores);
  const u = rng();
  let cum = 0, last = -1;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 0) continue;
    cum += p[i];
    last = i;
    if (u < cum) return i;
  }
  return last; // u fell in the rounding gap above the last cumulative sum
}
