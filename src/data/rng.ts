/**
 * A small seeded PRNG whose whole state is one uint32 (mulberry32, Tommy Ettinger's public-domain generator), so a
 * data cursor can store it as a plain number, plus Fisher-Yates permutations over it. Statistical quality is ample
 * for shuffling and splitting data; it is not for cryptography. Not handled: streams longer than its 2^32 period.
 */
import { mulberry32Next } from '../util/mulberry32';

export class Rng {
  private s: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
    this.s = Math.trunc(seed) >>> 0;
  }

  /** The whole state: `new Rng(0).restore(r.state)` continues exactly where `r` is. */
  get state(): number {
    return this.s;
  }

  restore(state: number): this {
    this.s = state >>> 0;
    return this;
  }

  /** Uniform in [0, 2^32). */
  nextU32(): number {
    const r = mulberry32Next(this.s);
    this.s = r.state;
    return r.u32;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n), by rejection (no modulo bias). */
  int(n: number): number {
    if (!(n >= 1 && n <= 4294967296 && Number.isInteger(n))) throw new Error(`int(n) needs an integer 1 <= n <= 2^32, got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }
}

/** A uniformly random permutation of 0..n-1 (Fisher-Yates, drawing from `rng`). */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
