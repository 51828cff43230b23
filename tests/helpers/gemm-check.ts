/**
 * Checks shared by the CPU GEMM pool's tests (gemm, resident panels, quantized rows): the plain product oracle, the
 * f32-accumulation closeness measure, and the wasm backend's pool for the suites that go through tfjs.
 */
import { beforeAll, expect } from 'vitest';
import { referenceMatmul } from '../../src/kernels/gemm/matmul';
import type { GemmPool } from '../../src/kernels/gemm/pool';
import { gemmPool } from '../../src/kernels/gemm/register';
import { initBackend } from '../../src/platform/backend';

/** Largest |ours - ref| / (1 + K), where K bounds the accumulated magnitude (the bound for f32 sums of K terms). */
export function worst(ours: Float32Array, ref: Float32Array, K: number): number {
  let w = 0;
  for (let i = 0; i < ref.length; i++) w = Math.max(w, Math.abs(ours[i] - ref[i]) / (1 + K));
  return w;
}

/** a [M, K] · b [K, N], untransposed, by referenceMatmul (f64 accumulation). */
export function plainProduct(a: Float32Array, b: Float32Array, M: number, K: number, N: number): Float32Array {
  const out = new Float32Array(M * N);
  referenceMatmul(a, b, out, { batch: 1, batchA: 1, batchB: 1, M, N, K, transposeA: false, transposeB: false });
  return out;
}

/**
 * Starts the wasm backend before the suite and returns a getter for its GEMM pool, failing the suite when there is
 * none (the pool needs 2 hardware threads and shared memory).
 */
export function useWasmGemmPool(): () => GemmPool {
  let pool: GemmPool | null = null;
  beforeAll(async () => {
    await initBackend({ prefer: ['wasm'] });
    pool = gemmPool();
    expect(pool, 'the GEMM pool (needs 2 hardware threads and shared memory)').not.toBeNull();
  });
  return () => pool!;
}
