/**
 * The plain-TypeScript reference dequantization of a PackedMatrix back to f32 [in, out], bit-exact with what the
 * device decoder (kernels/qtensor.ts) must produce. Built on the layout's one column decoder (kernels/packed.ts).
 */
import { decodeColumn, type PackedMatrix } from '../kernels/packed';

/** [rows, cols] row-major, our [in, out] layout. */
export function dequantize(p: PackedMatrix): Float32Array {
  const out = new Float32Array(p.rows * p.cols);
  for (let c = 0; c < p.cols; c++) decodeColumn(p, c, out, c, p.cols);
  return out;
}

/** The same values in HF [out, in] layout: one row per column of ours. */
export function dequantizeHfRows(p: PackedMatrix): Float32Array {
  const out = new Float32Array(p.rows * p.cols);
  for (let c = 0; c < p.cols; c++) decodeColumn(p, c, out, c * p.rows, 1);
  return out;
}
