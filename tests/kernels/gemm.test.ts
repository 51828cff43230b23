/**
 * The threaded wasm GEMM (kernels/gemm) against its plain-loop oracle (referenceMatmul, f64 accumulation) on awkward
 * shapes: sizes that are not multiples of the 4 x 8 register block or of the K slice (256), every transpose
 * combination, batch broadcast on either side, single rows (decode) and single columns; on 1 thread and on 2, with
 * the fused multiply-add module and the SIMD128 one.
 * Then through tfjs: with the wasm backend chosen, tf.matMul and its gradients (the transposed products) run on
 * the pool and equal the same products computed by the oracle. Tolerance: 1e-5 relative to the row's magnitude
 * (sum of |a||b| over k), the bound for f32 accumulation over K <= 700 terms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poolMatmul, referenceMatmul, splitWork, type MatmulShape } from '../../src/kernels/gemm/matmul';
import { GemmPool } from '../../src/kernels/gemm/pool';
import { gemmPool } from '../../src/kernels/gemm/register';
import { tf } from '../../src/kernels/tf';
import { initBackend } from '../../src/platform/backend';
import { worst } from '../helpers/gemm-check';
import { lcg } from '../helpers/random';

const cases: [string, MatmulShape][] = [
  ['tiny', { batch: 1, batchA: 1, batchB: 1, M: 3, N: 5, K: 2, transposeA: false, transposeB: false }],
  ['odd NN over two K slices', { batch: 1, batchA: 1, batchB: 1, M: 37, N: 45, K: 300, transposeA: false, transposeB: false }],
  ['TN, B broadcast', { batch: 3, batchA: 3, batchB: 1, M: 21, N: 70, K: 513, transposeA: true, transposeB: false }],
  ['NT batched', { batch: 2, batchA: 2, batchB: 2, M: 64, N: 33, K: 70, transposeA: false, transposeB: true }],
  ['TT, A broadcast', { batch: 4, batchA: 1, batchB: 4, M: 9, N: 130, K: 257, transposeA: true, transposeB: true }],
  ['decode row', { batch: 1, batchA: 1, batchB: 1, M: 1, N: 1000, K: 576, transposeA: false, transposeB: false }],
  ['one column', { batch: 1, batchA: 1, batchB: 1, M: 50, N: 1, K: 40, transposeA: false, transposeB: false }],
  // Over SMALL_FLOPS and twice as wide as tall: split by columns across threads (each packs its own strips of B),
  // with a column range that is not a multiple of 8.
  ['wide, split by columns', { batch: 1, batchA: 1, batchB: 1, M: 24, N: 700, K: 300, transposeA: false, transposeB: false }],
  ['many small matrices', { batch: 12, batchA: 12, batchB: 12, M: 17, N: 17, K: 16, transposeA: false, transposeB: true }],
];

describe('threaded GEMM against the oracle', () => {
  const pools: GemmPool[] = [];
  beforeAll(async () => {
    // The fused multiply-add module (relaxed SIMD: Node 20 has it behind a V8 flag the pool sets) on 1 and 2 threads,
    // and the SIMD128 one that engines without relaxed SIMD run.
    pools.push(await GemmPool.create(1), await GemmPool.create(2), await GemmPool.create(2, { fma: false }));
    expect(pools.map((p) => p.fma)).toEqual([process.env.WEBIFT_FMA !== '0', process.env.WEBIFT_FMA !== '0', false]);
  });
  afterAll(() => pools.forEach((p) => p.close()));

  it.each(cases)('%s', (_, s) => {
    const a = lcg(s.batchA * s.M * s.K, 1);
    const b = lcg(s.batchB * s.K * s.N, 2);
    const ref = new Float32Array(s.batch * s.M * s.N);
    referenceMatmul(a, b, ref, s);
    for (const pool of pools) {
      const out = new Float32Array(ref.length).fill(Number.NaN);
      poolMatmul(pool, a, b, out, s);
      expect(worst(out, ref, s.K), `${pool.threads} thread(s), fma ${pool.fma}`).toBeLessThan(1e-5);
    }
  });

  it('splits work into disjoint ranges that cover the output', () => {
    for (const [batch, M, N] of [[1, 1024, 576], [36, 256, 256], [3, 5, 4000], [1, 1, 49152]]) {
      const seen = new Uint8Array(batch * M * N);
      for (const [b0, b1, i0, i1, j0, j1] of splitWork(batch, M, N, 576, 2))
        for (let b = b0; b < b1; b++) for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) seen[(b * M + i) * N + j]++;
      expect(seen.every((v) => v === 1), `${batch}x${M}x${N}`).toBe(true);
    }
  });
});

describe('tfjs-wasm BatchMatMul on the pool', () => {
  beforeAll(async () => {
    const choice = await initBackend({ prefer: ['wasm'] });
    expect(choice.reason).toMatch(/threads?\b/);
  });

  it('runs on the pool, and matMul with its gradients equals the oracle', async () => {
    const pool = gemmPool();
    // CI machines have at least 2 hardware threads; WEBIFT_THREADS=1 would switch the pool off on purpose.
    expect(pool?.threads ?? 1).toBeGreaterThanOrEqual(process.env.WEBIFT_THREADS === '1' ? 1 : 2);
    const [M, K, N] = [38, 70, 37];
    const a = tf.tensor(lcg(M * K, 3), [M, K]);
    const w = tf.tensor(lcg(K * N, 4), [K, N]);
    const g = tf.tensor(lcg(M * N, 5), [M, N]);
    const [da, dw] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y), g)))([a, w]);
    const y = tf.matMul(a, w);
    // A batched product with a transposed, broadcast right side: [3, 19, 70] · [70, 37]ᵀ stored as [37, 70].
    const a3 = tf.tensor(lcg(3 * 19 * K, 6), [3, 19, K]);
    const y3 = tf.matMul(a3, tf.transpose(w), false, true);
    const sh = (batch: number, m: number, n: number, k: number, tA: boolean, tB: boolean, bA = batch, bB = batch): MatmulShape =>
      ({ batch, batchA: bA, batchB: bB, M: m, N: n, K: k, transposeA: tA, transposeB: tB });
    const ref = (x: Float32Array, z: Float32Array, s: MatmulShape) => {
      const o = new Float32Array(s.batch * s.M * s.N);
      referenceMatmul(x, z, o, s);
      return o;
    };
    const av = a.dataSync() as Float32Array, wv = w.dataSync() as Float32Array, gv = g.dataSync() as Float32Array;
    expect(worst(y.dataSync() as Float32Array, ref(av, wv, sh(1, M, N, K, false, false)), K)).toBeLessThan(1e-5);
    // tfjs's gradient asks for dA = g · wᵀ and dW = aᵀ · g: both transposed products.
    expect(worst(da.dataSync() as Float32Array, ref(gv, wv, sh(1, M, K, N, false, true)), N)).toBeLessThan(1e-5);
    expect(worst(dw.dataSync() as Float32Array, ref(av, gv, sh(1, K, N, M, true, false)), M)).toBeLessThan(1e-5);
    expect(worst(y3.dataSync() as Float32Array, ref(a3.dataSync() as Float32Array, wv, sh(3, 19, N, K, false, false, 3, 1)), K)).toBeLessThan(1e-5);
    expect(y3.shape).toEqual([3, 19, N]);
    tf.dispose([a, w, g, da, dw, y, a3, y3]);
  });
});
