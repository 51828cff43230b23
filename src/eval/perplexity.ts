/**
 * Eval loss and perplexity over tokenized examples (data/tokenize-example.ts: only learned tokens count, so the
 * prompt is masked as in training): loss = total NLL / total learned tokens (token-weighted, the usual corpus
 * perplexity), perplexity = exp(loss). heldOutSplit() picks the same held-out examples as `webift train
 * --eval-split X --seed S` does, so a trained adapter is scored on the data it did not see. Note the trainer's own
 * eval loss averages per-batch means (weighted by rows), which differs slightly from this token-weighted mean.
 * Not handled: sliding-window perplexity over long documents.
 */
import { splitTrainEval } from '../data/split';
import type { Model } from '../model/types';
import type { Adapter } from '../peft';
import { sequenceNll } from './model-scoring';

export interface ScoredExample {
  ids: Int32Array;
  labels: Int32Array;
}

export interface PerplexityItem {
  index: number;
  nll: number;
  tokens: number;
  loss: number;
}

export interface PerplexityResult {
  n: number;
  tokens: number;
  loss: number;
  perplexity: number;
  items: PerplexityItem[];
}

/** The held-out part as `webift train` splits it: a fraction in (0, 1), or a count capped at a tenth of the data. */
export function heldOutSplit<T>(examples: T[], evalSplit: number, seed: number): T[] {
  if (!(evalSplit > 0)) throw new Error(`evalSplit must be > 0 to hold out anything, got ${evalSplit}`);
  const opts = evalSplit < 1 ? { evalFraction: evalSplit, seed } : { evalSize: Math.min(evalSplit, Math.floor(examples.length / 10)), seed };
  return splitTrainEval(examples, opts).eval;
}

export async function evaluatePerplexity(o: {
  model: Model;
  adapter?: Adapter | null;
  examples: ScoredExample[];
  onItem?: (it: PerplexityItem, done: number, total: number) => void | Promise<void>;
  signal?: AbortSignal;
}): Promise<PerplexityResult> {
  const items: PerplexityItem[] = [];
  let nll = 0, tokens = 0;
  for (let i = 0; i < o.examples.length; i++) {
    o.signal?.throwIfAborted();
    const ex = o.examples[i];
    const r = await sequenceNll(o.model, o.adapter ?? null, ex.ids, ex.labels);
    const it = { index: i, nll: r.nll, tokens: r.tokens, loss: r.tokens ? r.nll / r.tokens : NaN };
    items.push(it);
    nll += r.nll;
    tokens += r.tokens;
    await o.onItem?.(it, i + 1, o.examples.length);
  }
  if (tokens === 0) throw new Error('no learned tokens to score (every label is masked)');
  const loss = nll / tokens;
  return { n: items.length, tokens, loss, perplexity: Math.exp(loss), items };
}
