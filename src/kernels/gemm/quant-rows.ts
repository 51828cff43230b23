/**
 * Few-row products (decode) against a group-quantized frozen weight on wasm, read packed on all the pool's threads
 * (gemm.c's qgemv). Without it a QTensor's product on wasm decodes the whole weight to f32 (WebiftDequantize) and
 * multiplies that once: every decoded token decoded every weight of the model, 0.48-0.75 s a token for SmolLM2-135M
 * in int4 on this project's 2-core AMD EPYC.
 *
 * The pool's threads cannot read tfjs-wasm's heap, so the packed words, scales and zeros are copied once into the
 * pool's resident region (resident.ts), keyed on the packed words' dataId and freed with them: an eighth (int4) or a
 * quarter (int8) of the f32 weight's bytes, plus the scales. Products of 16 rows or more (training, prefill) keep the
 * decode-then-multiply path, where one decode serves every row. WEBIFT_RESIDENT_WEIGHTS=0 turns this off as well.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PackedParts } from '../frozen-matmul/frozen-matmul';
import { groupCount, packedRows } from '../packed';
import { heapF32, registerHeapKernel, type WasmBackendLike } from '../wasm-heap';
import { PANEL, type PackedAt } from './pool';
import { gemmPool } from './register';
import { FEW_ROWS, packRows, RESIDENT_FLAG, residentBlock, unpadRows } from './resident';

const KERNEL = 'WebiftQuantRows';

/**
 * The rows of x as gemm.c's qgemv takes them: xq[i, r] = x[i, r] 2^(-bits t) for slot t = r mod P of a word (exact: a
 * power of two), and xs[i, g], the sum of x[i, :] over group g.
 */
export function scaleRows(x: Float32Array, rows: number, K: number, bits: 4 | 8, G: number, xq: Float32Array, xs: Float32Array): void {
  const P = 32 / bits;
  const scale = Array.from({ length: P }, (_, t) => 2 ** (-bits * t));
  const nG = Math.ceil(K / G);
  xs.fill(0);
  for (let i = 0; i < rows; i++)
    for (let r = 0; r < K; r++) {
      const v = x[i * K + r];
      xq[i * K + r] = v * scale[r % P];
      xs[i * nG + Math.floor(r / G)] += v;
    }
}

registerHeapKernel<PackedAt>(KERNEL, (backend, { x }, w) => {
  const pool = gemmPool();
  if (!pool) throw new Error(`${KERNEL}: the GEMM pool is gone`);
  const rows = x.shape[0];
  const ldc = Math.ceil(w.N / PANEL) * PANEL;
  const nG = Math.ceil(w.K / w.groupSize);
  pool.reset();
  const xqAt = pool.alloc(rows * w.K);
  const xsAt = pool.alloc(rows * nG);
  const cAt = pool.alloc(rows * ldc);
  const out = backend.makeOutput([rows, w.N], 'float32');
  scaleRows(heapF32(backend, x), rows, w.K, w.bits, w.groupSize, pool.view(xqAt, rows * w.K), pool.view(xsAt, rows * nG));
  pool.qgemv(xqAt, xsAt, rows, w, cAt, ldc, w.K * w.N < 1 << 16 ? 1 : pool.threads);
  unpadRows(heapF32(backend, out), pool.view(cAt, rows * ldc), rows, w.N, ldc);
  return out;
});

/** x (rows, K) @ W for a quantized W on the pool; null when this path does not apply (then decode and multiply). */
export function quantRowsWasm(x: tf.Tensor, w: PackedParts): tf.Tensor2D | null {
  const pool = gemmPool();
  const rows = x.shape[0];
  if (!pool || tf.getBackend() !== 'wasm' || x.rank !== 2 || rows >= FEW_ROWS || x.dtype !== 'float32' || !tf.env().getBool(RESIDENT_FLAG)) return null;
  const backend = tf.backend() as unknown as WasmBackendLike;
  const K = w.rows;
  const N = w.packed.shape[1]!;
  const padded = Math.ceil(N / PANEL) * PANEL;
  const wordRows = packedRows(K, w.spec.bits);
  const groups = groupCount(K, w.spec.groupSize);
  const tables: [tf.Tensor, number][] = [[w.packed, wordRows], [w.scales, groups], ...(w.zeros ? [[w.zeros, groups] as [tf.Tensor, number]] : [])];
  const floats = tables.reduce((n, [, r]) => n + r * padded, 0);
  const at = residentBlock(pool, backend, w.packed.dataId as object, 'quantized panels', floats, (to) => {
    // Each table into 16-column panels; the words are copied as floats' bit patterns, which a same-type set and
    // pack_panels's loads and stores keep bit for bit.
    for (const [t, r] of tables) {
      packRows(pool, heapF32(backend, t), r, N, to);
      to += r * padded * 4;
    }
  });
  if (at === null) return null;
  const scales = at + wordRows * padded * 4;
  const attrs: PackedAt = { words: at, scales, zeros: w.zeros ? scales + groups * padded * 4 : 0, K, N, bits: w.spec.bits, groupSize: w.spec.groupSize };
  return tf.engine().runKernel(KERNEL, { x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}
