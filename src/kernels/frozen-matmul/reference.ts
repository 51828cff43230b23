/**
 * The products of frozen-matmul.ts in plain TypeScript, the oracle for the WGSL kernel: x (M, in) · W [in, out], or
 * dy (M, out) · Wᵀ, for W in f32 or packed (decoded first with packed.ts's decodeColumn, the reference decode).
 * Naive triple loop, accumulating in f64.
 */
import { decodeColumn, type PackedMatrix } from '../packed';

/** W [inDim, outDim] row-major; with `transposed`, a (M, outDim) · Wᵀ -> (M, inDim), else a (M, inDim) · W -> (M, outDim). */
export function frozenMatmulReference(a: Float32Array, M: number, w: Float32Array, inDim: number, outDim: number, transposed = false): Float32Array {
  const K = transposed ? outDim : inDim, N = transposed ? inDim : outDim;
  const out = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[m * K + k] * (transposed ? w[n * outDim + k] : w[k * outDim + n]);
      out[m * N + n] = s;
    }
  }
  return out;
}

/** The f32 [rows, cols] matrix of p, decoded exactly as the device does. */
export function decodePacked(p: PackedMatrix): Float32Array {
  const w = new Float32Array(p.rows * p.cols);
  for (let c = 0; c < p.cols; c++) decodeColumn(p, c, w, c, p.cols);
  return w;
}

/** The same products for a packed W. */
export function qmatmulReference(a: Float32Array, M: number, p: PackedMatrix, transposed = false): Float32Array {
  return frozenMatmulReference(a, M, decodePacked(p), p.rows, p.cols, transposed);
}
