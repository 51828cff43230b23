/**
 * Test data and checks shared by the kernel tests: a seeded LCG (Numerical Recipes' constants) giving values in
 * [-1, 1) times `scale` plus `offset`, the same sequence every run; and a closeness check of a tensor against an
 * oracle's values that names what differed and where.
 */
import { expect } from 'vitest';
import type { tf } from '../../src/kernels/tf';
import { compareClose } from './fixtures';

export function lcg(n: number, seed: number, { scale = 1, offset = 0 }: { scale?: number; offset?: number } = {}): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1) * scale + offset);
}

/** got equals want within atol + rtol·|want| everywhere. */
export async function expectClose(got: tf.Tensor, want: ArrayLike<number>, atol: number, rtol: number, what = 'value'): Promise<void> {
  const r = compareClose((await got.data()) as Float32Array, want, atol, rtol);
  expect(r.worst, `${what}: max |Δ| ${r.maxAbs} at ${r.at}`).toBeLessThanOrEqual(0);
}
