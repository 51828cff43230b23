/**
 * Seeded numbers for adapter initialisation: mulberry32 (Tommy Ettinger's public-domain 32-bit generator),
 * uniform and Box-Muller normal fills, and a seed mixer for per-module dropout streams.
 * Not torch's generator: PEFT's exact initial values cannot be reproduced, only their distributions.
 */

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

export { mulberry32 } from '../util/mulberry32';

/** n values from U(-bound, bound). */
export function uniformFill(rng: Rng, n: number, bound: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * rng() - 1) * bound;
  return out;
}

/** n values from N(0, std^2) (Box-Muller). */
export function normalFill(rng: Rng, n: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - rng(), v = rng(); // u in (0, 1]: log(u) is finite
    const rad = Math.sqrt(-2 * Math.log(u));
    out[i] = rad * Math.cos(2 * Math.PI * v) * std;
    if (i + 1 < n) out[i + 1] = rad * Math.sin(2 * Math.PI * v) * std;
  }
  return out;
}

/** A 31-bit seed derived from (seed, stream): different modules and steps get independent dropout masks. */
export function mixSeed(seed: number, stream: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(stream + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return (h >>> 0) & 0x7fffffff;
}
