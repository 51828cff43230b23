/**
 * Decode's few-row products against a quantized weight on wasm (kernels/gemm/quant-rows.ts, gemm.c's qgemv), against
 * the oracle: the reference dequantization (quant/dequant.ts, bit-exact with every device decoder) times x in f64
 * (referenceMatmul). int4 and int8, symmetric and asymmetric; K not a multiple of a word's codes (the last word's spare
 * slots) nor of the group (a short last group); N not a multiple of the 16-column panel; 1 and 3 rows; a weight large
 * enough to split across the pool's threads. The packed words are copied into the pool as raw bits: the test checks
 * that its data holds NaN bit patterns, which a copy through float values could alter. Also: the copy is made once and
 * freed with the QTensor; frozenMatmul takes the path with and without a tape, and its gradient still flows to x;
 * 16 rows or the flag off leave the product to decode-and-multiply.
 * Tolerance: 1e-5 relative to 1 + K, as the f32 GEMM's tests (the kernel sums x · code per group, then scales).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GemmPool } from '../../src/kernels/gemm/pool';
import { quantRowsWasm, scaleRows } from '../../src/kernels/gemm/quant-rows';
import { RESIDENT_FLAG } from '../../src/kernels/gemm/resident';
import { frozenMatmul } from '../../src/kernels/qmatmul';
import { QTensor } from '../../src/kernels/qtensor';
import { tf } from '../../src/kernels/tf';
import { dequantize, quantize, type QuantSpec } from '../../src/quant';
import { plainProduct as oracle, useWasmGemmPool, worst } from '../helpers/gemm-check';
import { lcg } from '../helpers/random';

function isNanBits(word: number): boolean {
  return (word & 0x7f800000) === 0x7f800000 && (word & 0x007fffff) !== 0;
}

describe('few-row products on a quantized weight (wasm, GEMM pool)', () => {
  const wasmPool = useWasmGemmPool();
  let pool: GemmPool;
  beforeAll(() => {
    pool = wasmPool();
  });
  afterAll(() => tf.env().set(RESIDENT_FLAG, true));

  const specs: [string, QuantSpec][] = [
    ['int4 symmetric', { bits: 4, groupSize: 32, symmetric: true }],
    ['int4 asymmetric', { bits: 4, groupSize: 64, symmetric: false }],
    ['int8 symmetric', { bits: 8, groupSize: 64, symmetric: true }],
    ['int8 asymmetric', { bits: 8, groupSize: 16, symmetric: false }],
  ];
  // [M, K, N]: K = 77 and 70 leave spare slots in the last word (int4: 77 = 9·8 + 5; int8: 70 = 17·4 + 2) and a short
  // last group; N = 33 ends in a padded panel; [600, 500] splits across the threads.
  const shapes: [number, number, number][] = [[1, 77, 33], [3, 70, 40], [1, 600, 500], [2, 600, 500]];

  for (const [name, spec] of specs) {
    it.each(shapes)(`${name}: M %i, K %i, N %i`, async (M, K, N) => {
      const p = quantize(lcg(K * N, 51), K, N, spec);
      const qt = new QTensor(p);
      const x = tf.tensor(lcg(M * K, 52), [M, K]);
      const y = quantRowsWasm(x, qt.deviceParts());
      expect(y, 'the path applies').not.toBeNull();
      expect(y!.shape).toEqual([M, N]);
      expect(worst((await y!.data()) as Float32Array, oracle(x.dataSync() as Float32Array, dequantize(p), M, K, N), K)).toBeLessThan(1e-5);
      tf.dispose([x, y!]);
      qt.dispose();
    });
  }

  it('copies the packed words bit for bit, once, and frees them with the QTensor', async () => {
    const [K, N] = [600, 500];
    const before = pool.resident;
    const p = quantize(lcg(K * N, 61, { scale: 3 }), K, N, { bits: 4, groupSize: 64, symmetric: false });
    expect(Array.from(p.packed).filter(isNanBits).length, 'words that read as NaN floats').toBeGreaterThan(10);
    const qt = new QTensor(p);
    const xv = lcg(K, 62);
    const x = tf.tensor(xv, [1, K]);
    const want = oracle(xv, dequantize(p), 1, K, N);
    const y1 = quantRowsWasm(x, qt.deviceParts())!;
    const grown = pool.resident - before;
    // Three tables of ceil(500 / 16) = 32 panels of 16 columns: 75 word rows, 10 scale rows and 10 zero rows.
    expect(grown).toBe(Math.ceil(((75 + 10 + 10) * 32 * 16 * 4) / 64) * 64);
    const y2 = quantRowsWasm(x, qt.deviceParts())!;
    expect(pool.resident - before).toBe(grown);
    expect(worst((await y1.data()) as Float32Array, want, K)).toBeLessThan(1e-5);
    expect(await y2.data()).toEqual(await y1.data());
    qt.dispose();
    expect(pool.resident).toBe(before);
    tf.dispose([x, y1, y2]);
  });

  it('serves frozenMatmul with and without a tape; the gradient reaches x; 16 rows or the flag off decline', async () => {
    const [K, N] = [96, 80];
    const spec: QuantSpec = { bits: 4, groupSize: 32, symmetric: true };
    const p = quantize(lcg(K * N, 71), K, N, spec);
    const w = dequantize(p);
    const qt = new QTensor(p);
    const xv = lcg(2 * K, 72);
    const x = tf.tensor(xv, [2, K]);
    const before = pool.resident;
    const y = frozenMatmul(x, qt); // no tape
    expect(pool.resident).toBeGreaterThan(before); // it went through the pool
    expect(worst((await y.data()) as Float32Array, oracle(xv, w, 2, K, N), K)).toBeLessThan(1e-5);
    // With a tape: the forward takes the same path, and dx = dy · Wᵀ.
    const dy = tf.tensor(lcg(2 * N, 73), [2, N]);
    const dx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(frozenMatmul(xi, qt), dy)))(x);
    const wt = new Float32Array(N * K);
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) wt[n * K + k] = w[k * N + n];
    expect(worst((await dx.data()) as Float32Array, oracle(dy.dataSync() as Float32Array, wt, 2, N, K), N)).toBeLessThan(1e-5);
    expect(quantRowsWasm(tf.zeros([16, K]), qt.deviceParts())).toBeNull();
    tf.env().set(RESIDENT_FLAG, false);
    expect(quantRowsWasm(x, qt.deviceParts())).toBeNull();
    tf.env().set(RESIDENT_FLAG, true);
    qt.dispose();
    tf.dispose([x, y, dy, dx]);
  });

  it('scales each slot of a word by 2^(-bits t), and sums x per group', () => {
    // int4, K = 12, G = 8: slots 0..7 then 0..3; two groups (8 and 4 rows).
    const x = Float32Array.from({ length: 12 }, (_, r) => r + 1);
    const xq = new Float32Array(12);
    const xs = new Float32Array(2);
    scaleRows(x, 1, 12, 4, 8, xq, xs);
    const scale = [1, 1 / 16, 1 / 256, 1 / 4096, 1 / 65536, 1 / 2 ** 20, 1 / 2 ** 24, 1 / 2 ** 28];
    expect(Array.from(xq)).toEqual(Array.from(x, (v, r) => v * scale[r % 8]));
    expect(Array.from(xs)).toEqual([36, 9 + 10 + 11 + 12]);
  });
});
