/**
 * A small seeded PRNG whose whole state is four uint32s, so a checkpoint can store it and a resumed run draws the
 * same numbers (dropout masks, shuffles). xoshiro128** (Blackman & Vigna), seeded through splitmix32.
 * Not cryptographic; not the same stream as torch's generator (nothing here tries to match torch's dropout).
 */

export type RngState = [number, number, number, number];

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

export class Rng {
  private s: RngState;

  constructor(seedOrState: number | RngState) {
    if (typeof seedOrState === 'number') {
      const sm = splitmix32(seedOrState);
      this.s = [sm(), sm(), sm(), sm()];
    } else {
      if (seedOrState.length !== 4 || seedOrState.every((x) => x === 0)) throw new Error('an Rng state is four uint32s, not all zero');
      this.s = seedOrState.map((x) => x >>> 0) as RngState;
    }
  }

  /** A uniform uint32. */
  nextU32(): number {
    const s = this.s;
    const out = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] = (s[2] ^ t) >>> 0;
    s[3] = rotl(s[3], 11);
    s[0] >>>= 0; s[1] >>>= 0;
    return out;
  }

  /** A uniform float in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** A copy of the state, for a checkpoint (JSON-safe). */
  state(): RngState {
    return [...this.s] as RngState;
  }
}
