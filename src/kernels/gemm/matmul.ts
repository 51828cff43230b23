/**
 * Batched f32 matmul on the GEMM pool: the shape logic (transposes, batch broadcast), the split of the work
 * across threads, and the copy of the operands into and out of the pool's shared memory. `referenceMatmul` is the
 * plain-TypeScript oracle with the same signature.
 *
 * A transposed A costs nothing (the kernel reads A through strides); a transposed B is packed once per matrix
 * (pool.transpose). Work is split by whole matrices when there are enough of them, else by rows in fours, else
 * (few rows, as in decode, or a product at least twice as wide as it is tall) by columns in sixteens: each thread
 * then packs and streams only its own columns of B (a split by rows has every thread read all of B, and SmolLM2's
 * head chunks are 85 rows by 49,152 columns). Products under SMALL_FLOPS run on this thread alone: waking
 * the helpers costs more than they would save, and on a loaded machine a helper may not be scheduled for a while.
 */
import type { GemmPool, GemmRange } from './pool';

export interface MatmulShape {
  /** Matrices in the output batch, and in each operand (1 = broadcast to every output matrix). */
  batch: number;
  batchA: number;
  batchB: number;
  M: number;
  N: number;
  K: number;
  transposeA: boolean;
  transposeB: boolean;
}

/** Below this many flops a product runs on one thread (about 0.5 ms of work: more than a wake-up costs). */
export const SMALL_FLOPS = 1 << 23;

/** Each thread's (b0, b1, i0, i1, j0, j1). */
export function splitWork(batch: number, M: number, N: number, K: number, threads: number): GemmRange[] {
  const T = 2 * batch * M * N * K < SMALL_FLOPS ? 1 : threads;
  if (T === 1) return [[0, batch, 0, M, 0, N]];
  const out: GemmRange[] = [];
  if (batch % T === 0 || batch >= 4 * T) {
    const step = Math.ceil(batch / T);
    for (let t = 0; t < T; t++) out.push([Math.min(batch, t * step), Math.min(batch, (t + 1) * step), 0, M, 0, N]);
  } else if (M >= 4 * T && N < 2 * M) {
    const step = Math.ceil(M / T / 4) * 4;
    for (let t = 0; t < T; t++) out.push([0, batch, Math.min(M, t * step), Math.min(M, (t + 1) * step), 0, N]);
  } else {
    const step = Math.ceil(N / T / 16) * 16;
    for (let t = 0; t < T; t++) out.push([0, batch, 0, M, Math.min(N, t * step), Math.min(N, (t + 1) * step)]);
  }
  return out;
}

/** out = A·B (with the shape's transposes and broadcasts) on the pool. a, b, out are row-major f32. */
export function poolMatmul(pool: GemmPool, a: Float32Array, b: Float32Array, out: Float32Array, s: MatmulShape): void {
  const { M, N, K } = s;
  pool.reset();
  const aAt = pool.alloc(a.length);
  const bAt = pool.alloc(b.length);
  const btAt = s.transposeB ? pool.alloc(b.length) : bAt;
  const cAt = pool.alloc(s.batch * M * N);
  pool.view(aAt, a.length).set(a);
  pool.view(bAt, b.length).set(b);
  if (s.transposeB) for (let m = 0; m < s.batchB; m++) pool.transpose(bAt + m * N * K * 4, btAt + m * N * K * 4, K, N);
  pool.gemm(
    {
      a: aAt, sa: s.batchA === 1 ? 0 : M * K, ars: s.transposeA ? 1 : K, acs: s.transposeA ? M : 1,
      b: btAt, sb: s.batchB === 1 ? 0 : K * N, ldb: N,
      c: cAt, sc: M * N, ldc: N,
      K,
    },
    splitWork(s.batch, M, N, K, pool.threads),
  );
  out.set(pool.view(cAt, s.batch * M * N));
}

/** The oracle: the same product as three plain loops, in f64 accumulation. */
export function referenceMatmul(a: Float32Array, b: Float32Array, out: Float32Array, s: MatmulShape): void {
  const { M, N, K } = s;
  for (let m = 0; m < s.batch; m++) {
    const ao = (s.batchA === 1 ? 0 : m) * M * K;
    const bo = (s.batchB === 1 ? 0 : m) * K * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let acc = 0;
        for (let k = 0; k < K; k++) {
          const x = s.transposeA ? a[ao + k * M + i] : a[ao + i * K + k];
          const y = s.transposeB ? b[bo + j * K + k] : b[bo + k * N + j];
          acc += x * y;
        }
        out[m * M * N + i * N + j] = acc;
      }
    }
  }
}
