/**
 * Named mixes: a list of manifest ids, each with an optional cap (at most N records, the first N) and ratio, put
 * together by a seeded strategy. Strategies follow LLaMA-Factory's mix_strategy over HF `interleave_datasets`:
 * - concat: sources one after another; ratio r takes round(r * n) records (r < 1: a seeded subset kept in order;
 *   r > 1: whole passes plus a seeded subset). Alpaca-CoT's combined files (alcapa_plus_belle_plus_cot.json) are this.
 * - interleave-under / interleave-over: without ratios, round robin, stopping when the smallest source is used up
 *   (k * min records) or when the largest is (k * max, smaller sources cycle); with ratios, a seeded draw of the next
 *   source by probability (ratios normalised), stopping at the first exhausted draw (under) or once every source has
 *   been exhausted at least once (over). The plan works on sizes alone, so the UI can show the breakdown before
 *   any download. Not handled: token-weighted ratios.
 */
import { Rng, permutation } from './rng';
import type { Manifest } from './manifest';

export const mixStrategies = ['concat', 'interleave-under', 'interleave-over'] as const;
export type MixStrategy = (typeof mixStrategies)[number];

export interface MixSource {
  id: string;
  /** concat: share of the (capped) source to take, 0.5 = half, 2 = twice; interleave: sampling weight. */
  ratio?: number;
  /** Keep at most this many records of the source (the first ones). */
  cap?: number;
}

export interface MixSpec {
  name: string;
  sources: MixSource[];
  strategy?: MixStrategy;
  seed?: number;
}

export interface MixBreakdown {
  id: string;
  /** Records the source has. */
  available: number;
  /** After the cap. */
  capped: number;
  /** Records the mix takes from it (repeats counted). */
  taken: number;
  /** Distinct records among those taken. */
  unique: number;
}

export interface MixPlan {
  /** (source index, record index) per output record, in output order. */
  order: [number, number][];
  breakdown: MixBreakdown[];
  strategy: MixStrategy;
  seed: number;
}

export class MixError extends Error {
  override name = 'MixError';
}

export const DEFAULT_SEED = 42;

/** round(r * n) indices of 0..n-1: whole passes, then a seeded subset of the rest, each pass in order. */
function ratioIndices(n: number, r: number, rng: Rng): number[] {
  const target = Math.round(r * n);
  const out: number[] = [];
  for (let p = 0; p < Math.floor(target / Math.max(n, 1)); p++) for (let i = 0; i < n; i++) out.push(i);
  const rest = n ? target % n : 0;
  if (rest) out.push(...Array.from(permutation(n, rng).subarray(0, rest)).sort((a, b) => a - b));
  return out;
}

function interleave(sizes: number[], probs: number[] | null, over: boolean, rng: Rng): [number, number][] {
  const k = sizes.length;
  const order: [number, number][] = [];
  if (!probs) {
    const live = sizes.filter((n) => n > 0);
    const len = over ? Math.max(0, ...live) : live.length < k ? 0 : Math.min(...sizes);
    for (let j = 0; j < len; j++) for (let s = 0; s < k; s++) if (sizes[s] > 0) order.push([s, j % sizes[s]]);
    return order;
  }
  const next = new Array(k).fill(0);
  const exhausted = sizes.map((n) => n === 0);
  if (!over && exhausted.some(Boolean)) return order;
  const cum: number[] = [];
  probs.reduce((a, p, i) => (cum[i] = a + p), 0);
  const limit = 10 * sizes.reduce((a, b) => a + b, 0) + 1000; // a guard for tiny probabilities
  while (order.length < limit) {
    const u = rng.next() * cum[k - 1];
    let s = cum.findIndex((c) => u < c);
    if (s < 0) s = k - 1;
    if (sizes[s] === 0) continue;
    if (next[s] === sizes[s]) {
      if (!over) break;
      exhausted[s] = true;
      if (exhausted.every(Boolean)) break;
      next[s] = 0;
    }
    order.push([s, next[s]++]);
  }
  if (over && !exhausted.every(Boolean)) throw new MixError('interleave-over did not exhaust every source: a ratio is too small');
  return order;
}

/** Plans a mix from source sizes (in `spec.sources` order). */
export function planMix(spec: MixSpec, sizes: number[]): MixPlan {
  const strategy = spec.strategy ?? 'concat';
  if (!mixStrategies.includes(strategy)) throw new MixError(`unknown mix strategy '${strategy}' (strategies: ${mixStrategies.join(', ')})`);
  if (sizes.length !== spec.sources.length) throw new MixError(`mix '${spec.name}': ${spec.sources.length} sources but ${sizes.length} sizes`);
  if (!spec.sources.length) throw new MixError(`mix '${spec.name}' has no sources`);
  const seed = spec.seed ?? DEFAULT_SEED;
  const rng = new Rng(seed);
  for (const s of spec.sources) {
    if (s.ratio !== undefined && !(s.ratio > 0 && Number.isFinite(s.ratio))) throw new MixError(`mix '${spec.name}': ratio of '${s.id}' must be > 0, got ${s.ratio}`);
    if (s.cap !== undefined && !(Number.isInteger(s.cap) && s.cap > 0)) throw new MixError(`mix '${spec.name}': cap of '${s.id}' must be a positive integer, got ${s.cap}`);
  }
  const capped = spec.sources.map((s, i) => Math.min(sizes[i], s.cap ?? Infinity));
  let order: [number, number][];
  if (strategy === 'concat') {
    order = spec.sources.flatMap((s, i) => ratioIndices(capped[i], s.ratio ?? 1, rng).map((j): [number, number] => [i, j]));
  } else {
    const weighted = spec.sources.some((s) => s.ratio !== undefined);
    const probs = weighted ? spec.sources.map((s) => s.ratio ?? 1) : null;
    order = interleave(capped, probs, strategy === 'interleave-over', rng);
  }
  const breakdown = spec.sources.map((s, i) => {
    const picked = order.filter(([src]) => src === i).map(([, j]) => j);
    return { id: s.id, available: sizes[i], capped: capped[i], taken: picked.length, unique: new Set(picked).size };
  });
  return { order, breakdown, strategy, seed };
}

/** Applies a plan to the records of each source (keyed by id). */
export function mixRecords<T>(spec: MixSpec, sources: Record<string, readonly T[]>): { records: T[]; from: string[]; plan: MixPlan } {
  const lists = spec.sources.map((s) => {
    const list = sources[s.id];
    if (!list) throw new MixError(`mix '${spec.name}': no records for source '${s.id}'`);
    return list;
  });
  const plan = planMix(spec, lists.map((l) => l.length));
  return { records: plan.order.map(([s, j]) => lists[s][j]), from: plan.order.map(([s]) => spec.sources[s].id), plan };
}

/**
 * A mix from CLI/UI words: one mix name from the manifest, or dataset ids written `id`, `id:ratio`, `id@cap` or
 * `id:ratio@cap` (e.g. `alpaca-cleaned@5000 cot-en:0.5`). Unknown names are a MixError listing what exists.
 */
export function resolveMix(m: Manifest, words: string[]): MixSpec {
  if (!words.length) throw new MixError('give a mix name or dataset ids');
  if (words.length === 1) {
    const named = m.mixes.find((x) => x.name === words[0]);
    if (named) return { name: named.name, sources: named.sources.map((s) => ({ ...s })), strategy: named.strategy, seed: named.seed };
  }
  const sources = words.map((w) => {
    const r = /^([^:@]+)(?::([^@]+))?(?:@(.+))?$/.exec(w);
    const id = r?.[1] ?? w;
    if (!m.datasets.some((d) => d.id === id)) {
      throw new MixError(`'${id}' is neither a mix (${m.mixes.map((x) => x.name).join(', ')}) nor a dataset id (see 'webift data list')`);
    }
    const src: MixSource = { id };
    if (r?.[2] !== undefined) src.ratio = Number(r[2]);
    if (r?.[3] !== undefined) src.cap = Number(r[3]);
    if (src.ratio !== undefined && !(src.ratio > 0)) throw new MixError(`'${w}': the ratio after ':' must be a number > 0`);
    if (src.cap !== undefined && !(Number.isInteger(src.cap) && src.cap > 0)) throw new MixError(`'${w}': the cap after '@' must be a positive integer`);
    return src;
  });
  return { name: words.join('+'), sources };
}
