/**
 * The packed layout of a group-quantized [in, out] matrix: the contract between quant/ (which writes it, in plain
 * TypeScript) and kernels/qtensor.ts (which decodes it on the device). No tfjs here. Codes of P = 32 / bits
 * consecutive in-rows of one out-column share a u32 (row r sits in bits [b·(r%P), b·(r%P) + b) of word [r/P, c]);
 * groups of G consecutive in-rows of one column share a scale (and, asymmetric, the value code 0 decodes to).
 * Padding: when `in` is not a multiple of P the last word's spare slots hold code 0, and the last group is short;
 * every decoder drops rows >= in. Also the one plain-TypeScript column decoder, which the reference dequant uses.
 */

export type QuantBits = 4 | 8;

export interface QuantSpec {
  /** 4 or 8 bits per weight. */
  bits: QuantBits;
  /** In-rows per scale, a multiple of 8, e.g. 64 (32–128 is the useful range). */
  groupSize: number;
  /** Symmetric: w = (code - 2^(b-1)) · scale. Asymmetric: w = code · scale + zero (zero = the group's minimum). */
  symmetric: boolean;
}

export interface PackedMatrix extends QuantSpec {
  /** Logical [rows, cols] = [in, out]. */
  rows: number;
  cols: number;
  /** [ceil(rows / P), cols], row-major. */
  packed: Uint32Array;
  /** [ceil(rows / G), cols], row-major. */
  scales: Float32Array;
  /** Asymmetric only: the value code 0 decodes to, [ceil(rows / G), cols]; null when symmetric. */
  zeros: Float32Array | null;
}

export class QuantSpecError extends Error {
  override name = 'QuantSpecError';
}

/** Codes per u32: 8 (int4) or 4 (int8). */
export const perWord = (bits: QuantBits): number => 32 / bits;
export const packedRows = (rows: number, bits: QuantBits): number => Math.ceil(rows / perWord(bits));
export const groupCount = (rows: number, groupSize: number): number => Math.ceil(rows / groupSize);
/** The symmetric code of 0: 8 (int4) or 128 (int8). Symmetric codes use [mid - qmax, mid + qmax]. */
export const symmetricMid = (bits: QuantBits): number => 1 << (bits - 1);
/** Largest |q| of a symmetric code: 7 (int4) or 127 (int8), so that +x and -x quantize alike. */
export const symmetricMax = (bits: QuantBits): number => (1 << (bits - 1)) - 1;

export function validateSpec(spec: QuantSpec): void {
  if (spec.bits !== 4 && spec.bits !== 8) throw new QuantSpecError(`quantization bits must be 4 or 8, got ${spec.bits}`);
  const g = spec.groupSize;
  if (!Number.isInteger(g) || g < 8 || g > 4096 || g % 8 !== 0) throw new QuantSpecError(`group size must be a multiple of 8 between 8 and 4096 (32-128 is typical), got ${g}`);
}

/** A zeroed PackedMatrix of the given shape, ready for quant/ to fill column by column. */
export function allocPacked(rows: number, cols: number, spec: QuantSpec): PackedMatrix {
  validateSpec(spec);
  const nG = groupCount(rows, spec.groupSize);
  return {
    ...spec, rows, cols,
    packed: new Uint32Array(packedRows(rows, spec.bits) * cols),
    scales: new Float32Array(nG * cols),
    zeros: spec.symmetric ? null : new Float32Array(nG * cols),
  };
}

/** Bytes of the quantized form of an [rows, cols] matrix: packed words + f32 scales (+ f32 zeros). */
export function packedBytes(rows: number, cols: number, spec: QuantSpec): number {
  const scaleTables = spec.symmetric ? 1 : 2;
  return 4 * cols * (packedRows(rows, spec.bits) + scaleTables * groupCount(rows, spec.groupSize));
}

/**
 * Decodes column c of p into out[offset + r * stride] for r < rows, in f32 exactly as the device does:
 * fround((code - mid) · scale), or fround(fround(code · scale) + zero).
 */
export function decodeColumn(p: PackedMatrix, c: number, out: Float32Array, offset = 0, stride = 1): void {
  const P = perWord(p.bits), mask = (1 << p.bits) - 1, mid = symmetricMid(p.bits);
  for (let r = 0; r < p.rows; r++) {
    const word = p.packed[Math.floor(r / P) * p.cols + c];
    const code = (word >>> (p.bits * (r % P))) & mask;
    const gi = Math.floor(r / p.groupSize) * p.cols + c;
    const s = p.scales[gi];
    out[offset + r * stride] = p.zeros ? Math.fround(Math.fround(code * s) + p.zeros[gi]) : Math.fround((code - mid) * s);
  }
}

/**
 * Decodes columns [c0, c0 + n) of all rows into out, [rows, n] row-major (or [n, rows] when `transposed`), from the
 * raw arrays of a packed matrix with `cols` columns: the same f32 arithmetic as decodeColumn. The cpu and wasm
 * dequantize kernels (dequant-kernel.ts) run this over the backend's own buffers.
 */
export function decodeRange(packed: Int32Array | Uint32Array, scales: Float32Array, zeros: Float32Array | null, rows: number, cols: number, spec: QuantSpec, c0: number, n: number, out: Float32Array, transposed = false): void {
  const { bits, groupSize: G } = spec;
  const P = perWord(bits), mask = (1 << bits) - 1, mid = symmetricMid(bits);
  const step = transposed ? rows : 1;
  for (let r = 0; r < rows; r++) {
    const w0 = Math.floor(r / P) * cols + c0, g0 = Math.floor(r / G) * cols + c0, shift = bits * (r % P);
    let o = transposed ? r : r * n;
    if (zeros) for (let c = 0; c < n; c++, o += step) out[o] = Math.fround(Math.fround(((packed[w0 + c] >>> shift) & mask) * scales[g0 + c]) + zeros[g0 + c]);
    else for (let c = 0; c < n; c++, o += step) out[o] = Math.fround((((packed[w0 + c] >>> shift) & mask) - mid) * scales[g0 + c]);
  }
}

/**
 * Quantizes frozen matrices as the loader streams them. The loader hands over n HF rows of length `in` (an
 * nn.Linear [out, in] slice: n of OUR columns), and the quantizer writes them into dest at column c0.
 * quant/quantizer.ts implements it; model/load.ts only calls it, so model/ never imports quant/.
 */
export interface MatrixQuantizer {
  readonly spec: QuantSpec;
  encodeColumns(name: string, dest: PackedMatrix, c0: number, hfRows: Float32Array, n: number): void;
}

export interface Block {
  start: number;
  size: number;
}

/**
 * Splits `count` columns (or rows) of `bytesEach` bytes each into the fewest near-equal blocks of at most maxBytes.
 * One block when everything fits. Throws when even a single column is over the limit.
 */
export function planBlocks(count: number, bytesEach: number, maxBytes: number): Block[] {
  if (bytesEach > maxBytes) throw new QuantSpecError(`one slice of ${bytesEach} bytes is over the ${maxBytes}-byte limit`);
  const maxPer = Math.floor(maxBytes / bytesEach);
  const n = Math.ceil(count / maxPer);
  if (n <= 1) return [{ start: 0, size: count }];
  const per = Math.ceil(count / n); // <= maxPer, since n >= count / maxPer
  const out: Block[] = [];
  for (let start = 0; start < count; start += per) out.push({ start, size: Math.min(per, count - start) });
  return out;
}
