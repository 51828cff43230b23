/**
 * Group-wise int8 / int4 quantization of a frozen [in, out] matrix into the packed u32 layout of
 * kernels/packed.ts, in plain TypeScript. Symmetric: scale = max|w| / qmax (qmax 7 or 127), code = round(w / scale)
 * + 2^(b-1). Asymmetric: scale = (max - min) / (2^b - 1), zero = min, code = round((w - zero) / scale). Either way a
 * weight is off by at most half a step (scale / 2) before f32 rounding. Groups run along the reduction (in) axis.
 * Input arrives as HF rows ([out, in] slices, one row per column of ours), which is how the loader streams it.
 */
import { allocPacked, perWord, symmetricMax, symmetricMid, type PackedMatrix, type QuantSpec } from '../kernels/packed';

export class QuantizeError extends Error {
  override name = 'QuantizeError';
}

/**
 * Encodes n columns into dest, starting at column c0. hfRows holds n rows of length dest.rows: row j is column
 * c0 + j of the [in, out] matrix. The columns' words must still be zero (each column is written once).
 */
export function encodeColumns(dest: PackedMatrix, c0: number, hfRows: Float32Array, n: number, label = 'tensor'): void {
  const { rows, cols, bits, groupSize: G, symmetric } = dest;
  if (c0 < 0 || c0 + n > cols) throw new QuantizeError(`${label}: columns [${c0}, ${c0 + n}) are outside [0, ${cols})`);
  if (hfRows.length < n * rows) throw new QuantizeError(`${label}: ${n} rows of ${rows} need ${n * rows} values, got ${hfRows.length}`);
  const P = perWord(bits), qmax = symmetricMax(bits), mid = symmetricMid(bits), levels = (1 << bits) - 1;
  for (let j = 0; j < n; j++) {
    const c = c0 + j, base = j * rows;
    for (let g0 = 0, gi = 0; g0 < rows; g0 += G, gi++) {
      const g1 = Math.min(g0 + G, rows);
      let lo = Infinity, hi = -Infinity, finite = true;
      for (let r = g0; r < g1; r++) {
        const x = hfRows[base + r];
        if (x < lo) lo = x;
        if (x > hi) hi = x;
        finite &&= x - x === 0; // false for NaN and ±Inf
      }
      if (!finite) throw new QuantizeError(`${label}: column ${c} holds NaN or Inf; it cannot be quantized`);
      const scale = symmetric ? Math.fround(Math.max(-lo, hi) / qmax) : Math.fround((hi - lo) / levels);
      dest.scales[gi * cols + c] = scale;
      if (dest.zeros) dest.zeros[gi * cols + c] = lo;
      for (let r = g0; r < g1; r++) {
        const x = hfRows[base + r];
        let code: number;
        if (scale === 0) code = symmetric ? mid : 0; // a constant group decodes exactly
        else if (symmetric) code = Math.min(qmax, Math.max(-qmax, Math.round(x / scale))) + mid;
        else code = Math.min(levels, Math.max(0, Math.round((x - lo) / scale)));
        dest.packed[Math.floor(r / P) * cols + c] |= code << (bits * (r % P));
      }
    }
  }
}

/** Quantizes a whole [rows, cols] matrix given in OUR row-major [in, out] layout (tests, small tensors). */
export function quantize(w: Float32Array, rows: number, cols: number, spec: QuantSpec): PackedMatrix {
  if (w.length !== rows * cols) throw new QuantizeError(`[${rows}, ${cols}] needs ${rows * cols} values, got ${w.length}`);
  const dest = allocPacked(rows, cols, spec);
  const col = new Float32Array(rows);
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) col[r] = w[r * cols + c];
    encodeColumns(dest, c, col, 1);
  }
  return dest;
}

/** Quantizes an nn.Linear weight given in HF [out, in] layout (our [in, out] transposed). */
export function quantizeHfRows(hf: Float32Array, out: number, inDim: number, spec: QuantSpec): PackedMatrix {
  const dest = allocPacked(inDim, out, spec);
  encodeColumns(dest, 0, hf, out);
  return dest;
}
