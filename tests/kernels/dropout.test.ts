/**
 * Seeded dropout (kernels/dropout): the wasm heap kernel, its gradient and the two-array form against the element-by-
 * element oracle, which follows the spec in the module header; the mask's statistics (the dropped fraction within 5
 * binomial standard deviations, kept values scaled by exactly 1 / (1 − rate)); same seed, same mask; another seed,
 * another mask; odd lengths; both implementations on wasm (heap.c's SIMD loop and the TypeScript one); and the host-mask path of other backends (cpu) giving the same values as wasm.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { dropoutMaskReference, seededDropout, seededDropoutPair } from '../../src/kernels/dropout/dropout';
import { HEAP_WASM_FLAG, heapKernels } from '../../src/kernels/heap/heap-module';
import type { WasmBackendLike } from '../../src/kernels/wasm-heap';
import { initBackend } from '../../src/platform/backend';
import { lcg } from '../helpers/random';

const n = 200_001; // odd: the last element takes the low half of an unpaired hash

describe('seeded dropout', () => {
  beforeAll(async () => {
    expect((await initBackend({ prefer: ['wasm'] })).name).toBe('wasm');
  });

  it('the mask has the asked rate, and kept values are scaled by 1 / (1 - rate)', () => {
    for (const rate of [0.05, 0.1, 0.5]) {
      const m = dropoutMaskReference(n, rate, 77);
      const dropped = m.filter((v) => v === 0).length;
      const sd = Math.sqrt(n * rate * (1 - rate));
      expect(Math.abs(dropped - n * rate)).toBeLessThan(5 * sd);
      expect(new Set(m.filter((v) => v !== 0))).toEqual(new Set([Math.fround(1 / (1 - rate))]));
    }
  });

  // Both implementations: heap.c's SIMD loop (kernels/heap, the default) and the TypeScript loop.
  it.each([true, false])('the wasm kernel (heap module %s), its gradient and the two-array form apply the oracle mask', (heap) => {
    tf.env().set(HEAP_WASM_FLAG, heap);
    expect(heapKernels(tf.backend() as unknown as WasmBackendLike) !== null).toBe(heap);
    const xs = lcg(n, 3), ys = lcg(n, 4);
    const m = dropoutMaskReference(n, 0.1, 1234);
    const x = tf.tensor1d(xs), y = tf.tensor1d(ys);
    const want = xs.map((v, i) => v * m[i]);
    expect(Array.from(seededDropout(x, 0.1, 1234).dataSync())).toEqual(Array.from(want));
    // d/dx sum(dropout(x) · y) = mask · y
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(seededDropout(t, 0.1, 1234), y)))(x);
    expect(Array.from(g.dataSync())).toEqual(Array.from(ys.map((v, i) => v * m[i])));
    const [a, b] = seededDropoutPair(x, y, 0.1, 1234);
    expect(Array.from(a.dataSync())).toEqual(Array.from(want));
    expect(Array.from(b.dataSync())).toEqual(Array.from(ys.map((v, i) => v * m[i])));
    // A seed past 2^31 (the hash takes it as 32 bits) and another rate.
    const m2 = dropoutMaskReference(n, 0.3, 0xdeadbeef);
    const c = seededDropout(x, 0.3, 0xdeadbeef);
    expect(Array.from(c.dataSync())).toEqual(Array.from(xs.map((v, i) => v * m2[i])));
    tf.dispose([x, y, g, a, b, c]);
    tf.env().set(HEAP_WASM_FLAG, true);
  });

  it('same seed, same mask; another seed, another mask; rate 0 is the identity', () => {
    const x = tf.ones([4096]);
    const a = seededDropout(x, 0.2, 9).dataSync(), b = seededDropout(x, 0.2, 9).dataSync(), c = seededDropout(x, 0.2, 10).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    const differ = a.filter((v, i) => v !== c[i]).length;
    expect(differ).toBeGreaterThan(4096 * 0.2); // independent masks differ on about 2·0.2·0.8 = 32% of elements
    expect(seededDropout(x, 0, 9)).toBe(x);
    expect(() => seededDropout(x, 1, 9)).toThrow(/\[0, 1\)/);
    x.dispose();
  });

  it('the host-mask path of other backends gives the same values', async () => {
    const xs = lcg(999, 5);
    const onWasm = seededDropout(tf.tensor1d(xs), 0.3, 42).dataSync();
    await initBackend({ prefer: ['cpu'] });
    try {
      expect(Array.from(seededDropout(tf.tensor1d(xs), 0.3, 42).dataSync())).toEqual(Array.from(onWasm));
    } finally {
      await initBackend({ prefer: ['wasm'] });
    }
  });
});
