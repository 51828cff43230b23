/**
 * A seeded train/eval split: a permutation of the indices (rng.ts) whose first k become the eval set, by fraction
 * (`evalFraction`) or count (`evalSize`, as alpaca-lora's val_set_size). The parts never overlap, cover every item,
 * and keep the original order. Split the records or the tokenized examples; the same seed gives the same split.
 * Not handled: stratified splits, splitting by source within a mix.
 */
import { permutation, Rng } from './rng';

export interface SplitOptions {
  /** Share of items held out, in [0, 1), e.g. 0.05. At least one item when > 0 and there are 2 or more. */
  evalFraction?: number;
  /** Items held out, e.g. 2000; wins over evalFraction. */
  evalSize?: number;
  /** Default 42. */
  seed?: number;
}

export interface Split<T> {
  train: T[];
  eval: T[];
  /** Indices into the input, ascending. */
  trainIndices: Int32Array;
  evalIndices: Int32Array;
}

/** Decorrelates the split's stream from a BatchSource given the same seed. */
const SPLIT_SALT = 0x9e3779b9;

export function splitTrainEval<T>(items: readonly T[], opts: SplitOptions): Split<T> {
  const n = items.length;
  let k: number;
  if (opts.evalSize !== undefined) {
    k = opts.evalSize;
    if (!(Number.isInteger(k) && k >= 0 && k < n)) throw new Error(`evalSize must be an integer in [0, ${n}) for ${n} items, got ${k}`);
  } else {
    const f = opts.evalFraction ?? 0;
    if (!(f >= 0 && f < 1)) throw new Error(`evalFraction must be in [0, 1), got ${f}`);
    k = f === 0 ? 0 : Math.min(Math.max(Math.round(f * n), 1), n - 1);
    if (k < 0) k = 0; // n = 0
  }
  const perm = permutation(n, new Rng(((opts.seed ?? 42) ^ SPLIT_SALT) >>> 0));
  const evalIndices = perm.slice(0, k).sort();
  const trainIndices = perm.slice(k).sort();
  return {
    train: Array.from(trainIndices, (i) => items[i]),
    eval: Array.from(evalIndices, (i) => items[i]),
    trainIndices,
    evalIndices,
  };
}
