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

export interface Stepper {
  /**
   * Next-token logits (B, V) row-major for rows `ids` (B, S) with `mask` (B, S), both row-major. `fresh` is how
   * many trailing columns were never fed: the whole prompt on the first call, then 1 per step.
   */
  next(ids: Int32Array, mask: Int32Array, B: number, S: number, fresh: number): Promise<Float32Array>;
  /** Keeps rows `rows` (with repeats) of any per-row state, in that order: beam search reorders beams this way. */
  selectRows(rows: number[]): void;
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
  return {
    async next(ids, mask, B, S, fresh) {
      // Without a cache, a primed prefix is rebuilt for every full recompute and freed after it.
      let scratch: KVCache | null = null;
      if (!opts.useCache) {
        const p = opts.prime?.(B) ?? null;
        scratch = p?.cache ?? null;
        prefix = p?.prefixLength ?? 0;
      } else if (!started) {
        const p = opts.prime?.(B) ?? null;
        cache = p?.cache ?? createCache(model.config.layers);
        prefix = p?.prefixLength ?? 0;
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
      const logits = out.logits!; // (B, 1, V)
      try {
        return (await logits.data()) as Float32Array;
      } finally {
        logits.dispose();
      }
    },
    selectRows(rows) {
      if (cache && cache.length > 0) selectCacheRows(cache, rows);
    },
    dispose() {
      if (cache) disposeCache(cache);
    },
  };
}
