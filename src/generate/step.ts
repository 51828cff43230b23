/**
 * The decoding step behind generate(): rows of ids so far + attention mask in, next-token logits (B, V) out.
 * The model stepper feeds only the new columns through a KV cache (or, with useCache false, recomputes the whole
 * sequence), with position ids from the mask as HF generate() derives them: cumsum(mask) - 1, pads at 1
 * (transformers 4.45 `prepare_inputs_for_generation`). Any Stepper can be injected (tests use fake models).
 */
import type { LinearFn, Model } from '../model/types';
import { forward } from '../model/transformer';
import { createCache, disposeCache, selectCacheRows } from '../model/kv-cache';
import type { KVCache } from '../model/types';
import { positionIdsFromMask } from '../model/mask';
import type { PromptCache } from './prompt-cache';

export interface Stepper {
  /**
   * Next-token logits (B, V) row-major for rows `ids` (B, S) with `mask` (B, S), both row-major. `fresh` is how
   * many trailing columns were never fed: the whole prompt on the first call, then 1 per step.
   */
  next(ids: Int32Array, mask: Int32Array, B: number, S: number, fresh: number): Promise<Float32Array>;
  /** Keeps rows `rows` (with repeats) of any per-row state, in that order: beam search reorders beams this way. */
  selectRows(rows: number[]): void;
  /** Prompt tokens the first step found in a reused cache and did not feed (ModelStepperOptions.reuse); 0 otherwise. */
  readonly reusedPromptTokens?: number;
  /** Frees every tensor the stepper holds. Safe to call twice. */
  dispose(): void;
}

/** A KV cache already holding `prefixLength` virtual slots (prompt / prefix tuning), built for batch size B. */
export type PrimeFn = (B: number) => { cache: KVCache; prefixLength: number } | null;

export interface ModelStepperOptions {
  useCache: boolean;
  linear?: LinearFn;
  /** Prompt / prefix tuning: every row's mask is prefixed with `prefixLength` ones over the primed slots. */
  prime?: PrimeFn;
  /**
   * One unpadded row, no priming: start from the cache of an earlier generation that shares a prefix with the prompt,
   * and hand the cache back at the end (prompt-cache.ts). Ignored for anything else.
   */
  reuse?: PromptCache;
}

/** Last `n` columns of a row-major (B, S) array. */
function lastColumns(a: Int32Array, B: number, S: number, n: number): Int32Array {
  const out = new Int32Array(B * n);
  for (let b = 0; b < B; b++) out.set(a.subarray(b * S + S - n, b * S + S), b * n);
  return out;
}

/** (B, S) mask with n ones prepended to every row. */
function prefixOnes(mask: Int32Array, B: number, S: number, n: number): Int32Array {
  const out = new Int32Array(B * (S + n)).fill(1);
  for (let b = 0; b < B; b++) out.set(mask.subarray(b * S, b * S + S), b * (S + n) + n);
  return out;
}

export function modelStepper(model: Model, opts: ModelStepperOptions): Stepper {
  let cache: KVCache | null = null;
  let prefix = 0;
  let started = false;
  // Prompt-cache reuse: the store, while this generation may still hand its cache back; the ids fed so far.
  let reuse: PromptCache | null = opts.useCache ? opts.reuse ?? null : null;
  let fed: Int32Array | null = null;
  let reused = 0;
  return {
    get reusedPromptTokens() {
      return reused;
    },
    async next(ids, mask, B, S, fresh) {
      if (!started && reuse && (B !== 1 || mask.some((m) => m !== 1))) reuse = null;
      // Without a cache, a primed prefix is rebuilt for every full recompute and freed after it.
      let scratch: KVCache | null = null;
      if (!opts.useCache) {
        const p = opts.prime?.(B) ?? null;
        scratch = p?.cache ?? null;
        prefix = p?.prefixLength ?? 0;
      } else if (!started) {
        const p = opts.prime?.(B) ?? null;
        if (p) reuse = null; // primed virtual slots (prompt / prefix tuning) are not a prompt's prefix
        const taken = reuse?.take(Array.from(ids.subarray(0, S)));
        cache = taken?.cache ?? p?.cache ?? createCache(model.config.layers);
        prefix = p?.prefixLength ?? 0;
        if (taken) {
          reused = taken.length;
          fresh = S - taken.length;
        }
        started = true;
      }
      const fullMask = prefix ? prefixOnes(mask, B, S, prefix) : mask; // (B, prefix + S)
      const positions = positionIdsFromMask(fullMask, B, S + prefix); // (B, prefix + S)
      let T = S;
      if (cache) {
        if (cache.length !== prefix + S - fresh) throw new Error(`KV cache holds ${cache.length} slots but ${prefix + S - fresh} were expected`);
        T = fresh;
      }
      const kv = cache ?? scratch ?? undefined;
      const out = forward(
        model,
        { ids: lastColumns(ids, B, S, T), B, T, attentionMask: fullMask, positionIds: lastColumns(positions, B, S + prefix, T) },
        { cache: kv, lastOnly: true, linear: opts.linear },
      );
      if (scratch) disposeCache(scratch);
      if (reuse) fed = ids.slice(0, S);
      const logits = out.logits!; // (B, 1, V)
      try {
        return (await logits.data()) as Float32Array;
      } finally {
        logits.dispose();
      }
    },
    selectRows(rows) {
      reuse = null; // beams: the rows are no longer the prompt's one row
      if (cache && cache.length > 0) selectCacheRows(cache, rows);
    },
    dispose() {
      if (cache && reuse && fed && cache.length === fed.length) reuse.keep(cache, Array.from(fed));
      else if (cache) disposeCache(cache);
      cache = null;
    },
  };
}
