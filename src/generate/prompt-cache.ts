/**
 * Reuse of the KV cache across generations that share a prompt prefix: a chat's next turn resends the whole history,
 * and an OpenAI client sends every message on every request. The cache of the last generation is kept with the ids
 * it holds; the next prompt takes the longest common prefix and only the rest is fed. Time to first token then grows
 * with the new turn, not with the conversation.
 * The owner keeps one PromptCache per model and adapter, and clears it whenever their weights change: the cache holds
 * keys and values computed with the weights of its time. Used where the owner knows that (the CLI's chat, one per
 * served model); not for batches, beam search, or prompt/prefix tuning (their primed slots). take() hands the cache
 * out and keep() gives it back, so two generations running at once never share one.
 * A layer whose slots a sliding window dropped cannot be cut back: such a cache is reused only when the new prompt
 * extends all of it.
 */
import { disposeCache } from '../model/kv-cache';
import type { KVCache } from '../model/types';
import { tf } from '../kernels/tf';

export interface ReusedCache {
  cache: KVCache;
  /** Prompt tokens already in the cache: the stepper feeds the prompt from here. */
  length: number;
}

export class PromptCache {
  private held: KVCache | null = null;
  /** The ids whose keys and values `held` holds, in order. */
  private ids: number[] = [];

  /**
   * The held cache cut to the longest prefix it shares with `prompt`, leaving at least the prompt's last token to feed
   * (its logits start the reply); null when nothing is shared. The caller owns it until keep() or disposeCache.
   */
  take(prompt: number[]): ReusedCache | null {
    const cache = this.held;
    if (!cache) return null;
    this.held = null;
    let n = 0;
    const limit = Math.min(this.ids.length, prompt.length - 1);
    while (n < limit && this.ids[n] === prompt[n]) n++;
    if (n === 0 || !truncate(cache, n)) {
      disposeCache(cache);
      return null;
    }
    return { cache, length: n };
  }

  /** Holds `cache` (one row) for the next take(), `ids` being the tokens in it; frees what was held before. */
  keep(cache: KVCache, ids: number[]): void {
    if (cache.length !== ids.length) throw new Error(`PromptCache.keep: the cache holds ${cache.length} slots, not ${ids.length}`);
    if (this.held && this.held !== cache) disposeCache(this.held);
    this.held = cache;
    this.ids = ids.slice();
  }

  /** Frees the held cache: call it when the model's or adapter's weights change. */
  clear(): void {
    if (this.held) disposeCache(this.held);
    this.held = null;
    this.ids = [];
  }
}

/** Cuts every layer of a one-row cache to its first n slots; false when a layer cannot be (a window dropped slots). */
function truncate(cache: KVCache, n: number): boolean {
  if (n === cache.length) return true;
  if (cache.layers.some((l) => l && l.start > 0)) return false;
  cache.layers = cache.layers.map((l) => {
    if (!l || 'pooled' in l) return l; // a pooled block's later slots are overwritten by the next writes
    const k = tf.slice(l.k, [0, 0, 0, 0], [-1, -1, n, -1]), v = tf.slice(l.v, [0, 0, 0, 0], [-1, -1, n, -1]);
    l.k.dispose();
    l.v.dispose();
    return { k, v, start: 0 };
  });
  cache.length = n;
  if (cache.ids) cache.ids = cache.ids.slice(0, n);
  return true;
}
