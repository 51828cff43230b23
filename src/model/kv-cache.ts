/**
 * KV cache lifecycle: create, reorder rows (beam search), dispose. The forward pass fills and trims it; a
 * sliding-window layer keeps only the slots a future query can see, so it matches the no-cache definition. A layer
 * holds tensors, or on the CPU path's threads a block in the GEMM pool's memory (kernels/attention/kv-pool.ts).
 */
import { tf } from '../kernels/tf';
import type { KVCache, LayerCache } from './types';

/** Frees one layer's keys and values, whichever form they take. */
export function disposeLayerCache(l: LayerCache): void {
  if ('pooled' in l) l.pooled.dispose();
  else {
    l.k.dispose();
    l.v.dispose();
  }
}

export function createCache(layers: number): KVCache {
  return { layers: new Array(layers).fill(null), length: 0 };
}

export function disposeCache(cache: KVCache): void {
  for (const l of cache.layers) if (l) disposeLayerCache(l);
  cache.layers = cache.layers.map(() => null);
  cache.length = 0;
  cache.ids = undefined;
}

/** Picks batch rows `rows` (with repeats) of every layer: beam search reorders and expands beams this way. */
export function selectCacheRows(cache: KVCache, rows: number[]): void {
  const idx = tf.tensor1d(rows, 'int32');
  cache.layers = cache.layers.map((l) => {
    if (!l) return l;
    if ('pooled' in l) {
      const pooled = l.pooled.select(rows, cache.length - l.start);
      l.pooled.dispose();
      return { pooled, start: l.start };
    }
    const k = tf.gather(l.k, idx), v = tf.gather(l.v, idx);
    l.k.dispose(); l.v.dispose();
    return { k, v, start: l.start };
  });
  idx.dispose();
  const ids = cache.ids, n = cache.length;
  if (ids && n > 0) {
    const out = new Int32Array(rows.length * n);
    rows.forEach((r, i) => out.set(ids.subarray(r * n, (r + 1) * n), i * n));
    cache.ids = out;
  }
}
