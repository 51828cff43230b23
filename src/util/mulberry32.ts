/**
 * mulberry32 (Tommy Ettinger's public-domain 32-bit generator): the one small seeded PRNG that sampling, adapter
 * init and data shuffling share. Its whole state is one uint32, so cursors and checkpoints store it as a number.
 * Not cryptographic; period 2^32; not torch's stream. (The trainer's checkpointed RNG is xoshiro128**, train/rng.ts.)
 */

/** One step: the next state and its uniform uint32 output. */
export function mulberry32Next(state: number): { state: number; u32: number } {
  const s = (state + 0x6d2b79f5) >>> 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return { state: s, u32: (t ^ (t >>> 14)) >>> 0 };
}

/** A closure over mulberry32 returning uniform floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    const r = mulberry32Next(s);
    s = r.state;
    return r.u32 / 4294967296;
  };
}
