/**
 * Plain-TypeScript quantization (src/quant) against hand-derived goldens: packed words worked out on paper, and
 * per-element error bounds of half a quantization step computed from each group's own range (the step the method
 * promises, recomputed here, not read from the code under test), on awkward shapes for int8/int4, sym/asym.
 */
import { describe, expect, it } from 'vitest';
import { createQuantizer, dequantize, dequantizeHfRows, encodeColumns, quantize, quantizeHfRows, quantizationError } from '../../src/quant';
import { allocPacked, packedBytes, planBlocks, type QuantSpec } from '../../src/kernels/packed';
import { mulberry32 } from '../../src/util/mulberry32';

function randomMatrix(rows: number, cols: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  // Mixed magnitudes per column, a few outliers, so groups differ.
  return Float32Array.from({ length: rows * cols }, (_, i) => (rng() - 0.5) * (1 + (i % cols) / 7) * (rng() < 0.02 ? 8 : 1));
}

/** Half a quantization step for each element, from its group's range: max|w| / qmax / 2, or (max - min) / (2^b - 1) / 2. */
function halfSteps(w: Float32Array, rows: number, cols: number, spec: QuantSpec): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let c = 0; c < cols; c++)
    for (let g0 = 0; g0 < rows; g0 += spec.groupSize) {
      const idx = Array.from({ length: Math.min(spec.groupSize, rows - g0) }, (_, k) => (g0 + k) * cols + c);
      const vals = idx.map((i) => w[i]);
      const step = spec.symmetric ? Math.max(...vals.map(Math.abs)) / (2 ** (spec.bits - 1) - 1) : (Math.max(...vals) - Math.min(...vals)) / (2 ** spec.bits - 1);
      for (const i of idx) out[i] = step / 2;
    }
  return out;
}

describe('packing, derived by hand', () => {
  it('int4 symmetric: eight rows share a word, slot s in bits 4s..4s+3, code = q + 8', () => {
    // Column 0, group 0 (rows 0-7): max |w| = 0.7, scale = 0.1, q = [7, -7, 3, 0, 1, -2, 6, -5],
    // codes = [15, 1, 11, 8, 9, 6, 14, 3] -> word 0x3E698B1F. Row 8 (group 1, alone): 0.25 -> q = 7, code 15.
    const col = [0.7, -0.7, 0.3, 0, 0.1, -0.2, 0.6, -0.5, 0.25];
    const p = quantize(Float32Array.from(col), 9, 1, { bits: 4, groupSize: 8, symmetric: true });
    expect(p.packed.length).toBe(2);
    expect(p.packed[0]).toBe(0x3e698b1f);
    expect(p.packed[1]).toBe(0x0000000f); // rows 9-15 are padding: code 0
    expect(p.scales[0]).toBe(Math.fround(Math.fround(0.7) / 7));
    expect(p.zeros).toBeNull();
    const back = dequantize(p);
    expect(back[3]).toBe(0);
    expect(back[8]).toBeCloseTo(0.25, 6);
  });

  it('int8 symmetric: four rows per word, code = q + 128; two columns interleave row-major', () => {
    // Column 0: max 1.27 -> scale 0.01, q = [127, -127, 50, 0] -> codes [255, 1, 178, 128] -> 0x80B201FF.
    // Column 1: all zero -> scale 0, codes 128 -> 0x80808080.
    const w = Float32Array.from([1.27, 0, -1.27, 0, 0.5, 0, 0, 0]); // [4, 2] row-major
    const p = quantize(w, 4, 2, { bits: 8, groupSize: 8, symmetric: true });
    expect([...p.packed]).toEqual([0x80b201ff, 0x80808080]);
    expect(p.scales[1]).toBe(0);
    expect([...dequantize(p)].filter((_, i) => i % 2 === 1)).toEqual([0, 0, 0, 0]);
  });

  it('int4 asymmetric: zero = group minimum, scale = (max - min) / 15, code = round((w - min) / scale)', () => {
    // min -1, max 2: scale 0.2; 0.6 -> 8, -1 -> 0, 2 -> 15, 1 -> 10 (rows 4-7 padding of the group: short group).
    const p = quantize(Float32Array.from([0.6, -1, 2, 1]), 4, 1, { bits: 4, groupSize: 8, symmetric: false });
    expect(p.packed[0]).toBe(8 | (0 << 4) | (15 << 8) | (10 << 12));
    expect(p.zeros![0]).toBe(-1);
    expect(p.scales[0]).toBe(Math.fround(3 / 15));
  });

  it('a constant group decodes exactly (scale 0), symmetric and asymmetric', () => {
    for (const symmetric of [true, false]) {
      const w = new Float32Array(16).fill(symmetric ? 0 : 0.375);
      expect([...dequantize(quantize(w, 16, 1, { bits: 4, groupSize: 8, symmetric }))]).toEqual([...w]);
    }
  });
});

describe('awkward shapes: every element within half a step', () => {
  const shapes: [number, number][] = [[37, 45], [130, 7], [1, 5], [8, 3], [200, 1]];
  for (const bits of [4, 8] as const)
    for (const groupSize of [32, 64, 128])
      for (const symmetric of [true, false])
        it(`int${bits} g${groupSize} ${symmetric ? 'sym' : 'asym'}`, () => {
          const spec = { bits, groupSize, symmetric };
          for (const [rows, cols] of shapes) {
            const w = randomMatrix(rows, cols, rows * 1000 + cols);
            const p = quantize(w, rows, cols, spec);
            expect(p.packed.length).toBe(Math.ceil(rows / (32 / bits)) * cols);
            expect(p.scales.length).toBe(Math.ceil(rows / groupSize) * cols);
            expect(p.zeros?.length ?? 0).toBe(symmetric ? 0 : p.scales.length);
            const back = dequantize(p);
            const half = halfSteps(w, rows, cols, spec);
            let worst = -Infinity;
            // f32 slack: decoding rounds once (sym) or twice (asym) at |w| <= 8 * 1.9 * 2 (outliers): 2^-23 relative.
            for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(back[i] - w[i]) - half[i] - 4e-6);
            expect(worst, `[${rows}, ${cols}]`).toBeLessThanOrEqual(0);
          }
        });

  it('spare slots of the last word stay zero ([37, 45] int4: rows 37-39)', () => {
    const p = quantize(randomMatrix(37, 45, 3), 37, 45, { bits: 4, groupSize: 32, symmetric: true });
    for (let c = 0; c < 45; c++) expect(p.packed[4 * 45 + c] >>> 20).toBe(0);
  });
});

describe('layouts and streaming', () => {
  it('quantizeHfRows of Wᵀ equals quantize of W; dequantizeHfRows is the transpose of dequantize', () => {
    const [rows, cols] = [70, 9];
    const w = randomMatrix(rows, cols, 5);
    const hf = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) hf[c * rows + r] = w[r * cols + c];
    const spec: QuantSpec = { bits: 4, groupSize: 32, symmetric: false };
    const a = quantize(w, rows, cols, spec), b = quantizeHfRows(hf, cols, rows, spec);
    expect(b.packed).toEqual(a.packed);
    expect(b.scales).toEqual(a.scales);
    const d = dequantize(a), dh = dequantizeHfRows(a);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) expect(dh[c * rows + r]).toBe(d[r * cols + c]);
  });

  it('the streaming quantizer, fed in chunks, matches the one-shot result and reports the error of the whole', () => {
    const [rows, cols] = [96, 23];
    const w = randomMatrix(rows, cols, 9);
    const hf = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) hf[c * rows + r] = w[r * cols + c];
    const spec: QuantSpec = { bits: 8, groupSize: 64, symmetric: true };
    const q = createQuantizer(spec);
    const dest = allocPacked(rows, cols, spec);
    for (let c0 = 0; c0 < cols; c0 += 5) {
      const n = Math.min(5, cols - c0);
      q.encodeColumns('w', dest, c0, hf.slice(c0 * rows, (c0 + n) * rows), n);
    }
    const one = quantize(w, rows, cols, spec);
    expect(dest.packed).toEqual(one.packed);
    const [rep] = q.report();
    const ref = quantizationError('w', w, dequantize(one));
    expect(rep.count).toBe(rows * cols);
    expect(rep.maxAbsError).toBe(ref.maxAbsError);
    expect(rep.relRmsError).toBeCloseTo(ref.relRmsError, 12);
  });

  it('refuses NaN, a bad group size and columns outside the matrix', () => {
    expect(() => quantize(Float32Array.from([1, NaN]), 2, 1, { bits: 4, groupSize: 32, symmetric: true })).toThrow(/NaN/);
    expect(() => quantize(new Float32Array(4), 4, 1, { bits: 4, groupSize: 12, symmetric: true })).toThrow(/multiple of 8/);
    const dest = allocPacked(4, 2, { bits: 4, groupSize: 8, symmetric: true });
    expect(() => encodeColumns(dest, 1, new Float32Array(8), 2)).toThrow(/outside/);
  });

  it('bytes: int4 g64 sym is 4.5 bits a weight, int8 g64 asym 9 bits', () => {
    expect(packedBytes(4096, 100, { bits: 4, groupSize: 64, symmetric: true }) * 8 / (4096 * 100)).toBe(4.5);
    expect(packedBytes(4096, 100, { bits: 8, groupSize: 64, symmetric: false }) * 8 / (4096 * 100)).toBe(9);
  });

  it('planBlocks: fewest blocks under the limit, covering every column once', () => {
    for (const [count, each, max] of [[10, 4, 12], [151936, 896 * 4, 128 * 2 ** 20], [5, 8, 1000], [7, 3, 3]]) {
      const blocks = planBlocks(count, each, max);
      expect(blocks.length).toBe(Math.ceil(count / Math.floor(max / each)));
      let next = 0;
      for (const b of blocks) {
        expect(b.start).toBe(next);
        expect(b.size * each).toBeLessThanOrEqual(max);
        next += b.size;
      }
      expect(next).toBe(count);
    }
    expect(() => planBlocks(3, 100, 50)).toThrow(/over/);
  });
});
