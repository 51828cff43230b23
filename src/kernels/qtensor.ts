/**
 * Frozen weights that are not one plain f32 tensor: a QTensor (a group-quantized [in, out] matrix in the packed
 * layout of packed.ts, decoded on the device), and a SplitWeight (a matrix held as row or column
 * blocks, each under the device's storage-binding limit). WeightTensor is what a model's weight map holds.
 * Decoding runs in one pass where dequant-kernel.ts has a kernel (cpu, wasm, webgpu); elsewhere as exact tfjs ops:
 * word & (mask << b·s) as int32, cast to f32, times 2^-b·s, mod 2^b (the top slot comes out signed), then
 * (code - mid) · scale or code · scale + zero; column ranges slice the words with int32-ops.ts (exact on webgpu).
 * The fused dequant-matmul on webgpu (frozen-matmul/) reads the device parts in place instead of decoding.
 */
import * as tf from '@tensorflow/tfjs-core';
import { groupCount, packedBytes, packedRows, perWord, symmetricMid, type PackedMatrix, type QuantSpec } from './packed';
import { bitwiseAnd, sliceColumns } from './int32-ops';
import { dequantizeKernel } from './dequant-kernel';
import type { PackedParts } from './frozen-matmul/frozen-matmul';

interface DeviceParts {
  packed: tf.Tensor; // int32 [ceil(in / P), out], the u32 words' bits
  scales: tf.Tensor; // [ceil(in / G), out]
  zeros: tf.Tensor | null;
}

/** A frozen group-quantized [in, out] matrix. */
export class QTensor {
  readonly shape: [number, number];
  readonly spec: QuantSpec;
  /** The packed words on the host, kept only where host-side lookups need them (embeddings); else null. */
  host: PackedMatrix | null;
  private dev: DeviceParts | null = null;
  private disposed = false;

  /**
   * keepHost: keep the host copy and upload on first device use (an embedding looked up on the host, maybe never
   * used on the device); otherwise upload now and drop the host copy.
   */
  constructor(p: PackedMatrix, opts: { keepHost?: boolean } = {}) {
    this.shape = [p.rows, p.cols];
    this.spec = { bits: p.bits, groupSize: p.groupSize, symmetric: p.symmetric };
    this.host = p;
    if (!opts.keepHost) {
      this.device();
      this.host = null;
    }
  }

  get size(): number {
    return this.shape[0] * this.shape[1];
  }

  /** Bytes of the quantized representation (one copy: packed words, scales, zeros). */
  get bytes(): number {
    return packedBytes(this.shape[0], this.shape[1], this.spec);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /**
   * The packed words, scales and zeros on the device (uploaded on first use), for kernels that read them in place
   * (frozen-matmul). Owned by this QTensor: callers never free them.
   */
  deviceParts(): PackedParts {
    const d = this.device();
    return { ...d, rows: this.shape[0], spec: this.spec };
  }

  private device(): DeviceParts {
    if (this.disposed) throw new Error('QTensor is disposed');
    if (!this.dev) {
      const p = this.host!;
      const [rows, cols] = this.shape;
      // Kept: a first use may come inside a tidy (a forward), which must not free the weight at its end.
      this.dev = {
        packed: tf.keep(tf.tensor2d(new Int32Array(p.packed.buffer, p.packed.byteOffset, p.packed.length), [packedRows(rows, p.bits), cols], 'int32')),
        scales: tf.keep(tf.tensor2d(p.scales, [groupCount(rows, p.groupSize), cols])),
        zeros: p.zeros ? tf.keep(tf.tensor2d(p.zeros, [groupCount(rows, p.groupSize), cols])) : null,
      };
    }
    return this.dev;
  }

  /**
   * The f32 [in, out] matrix, a new tensor the caller disposes. With c0 and n, only columns [c0, c0 + n) (the chunked
   * lm_head decodes a big vocabulary a slice at a time); `transposed` gives [n, in]. One pass on cpu, wasm and webgpu
   * (dequant-kernel.ts); the tfjs-op chain below elsewhere, or with `ops` (tests hold both to the reference).
   */
  dequantize(c0 = 0, n?: number, opts: { ops?: boolean; transposed?: boolean } = {}): tf.Tensor2D {
    const dev = this.device();
    const rows = this.shape[0];
    const cols = n ?? this.shape[1] - c0;
    if (!(c0 >= 0 && cols >= 1 && c0 + cols <= this.shape[1])) throw new Error(`QTensor.dequantize: columns [${c0}, ${c0 + cols}) are outside [0, ${this.shape[1]})`);
    const fast = opts.ops ? null : dequantizeKernel(dev.packed, dev.scales, dev.zeros, rows, this.spec, c0, cols, !!opts.transposed);
    if (fast) return fast;
    const d = this.dequantizeOps(dev, c0, cols);
    if (!opts.transposed) return d;
    const t = tf.transpose(d) as tf.Tensor2D;
    d.dispose();
    return t;
  }

  /** [out, in]: the transpose, decoded directly (a backward's dy · Wᵀ). */
  dequantizeT(): tf.Tensor2D {
    return this.dequantize(0, this.shape[1], { transposed: true });
  }

  /** The portable decode: exact tfjs ops only (intermediates freed as it goes). */
  private dequantizeOps(dev: DeviceParts, c0: number, cols: number): tf.Tensor2D {
    const { bits, groupSize: G } = this.spec;
    const rows = this.shape[0];
    const whole = c0 === 0 && cols === this.shape[1];
    const part = (t: tf.Tensor) => (whole ? t : tf.slice(t, [0, c0], [-1, cols]));
    // Packed words through sliceColumns: tfjs-webgpu's own slice moves int32 through f32 and loses their low bits.
    const packed = whole ? dev.packed : sliceColumns(dev.packed, c0, cols), scales = part(dev.scales), zeros = dev.zeros ? part(dev.zeros) : null;
    const P = perWord(bits), K = packed.shape[0]!, nG = scales.shape[0]!;
    const out = tf.tidy(() => {
      // One step at a time, freeing the previous: a tidy alone would keep every full-size intermediate to its end.
      let t: tf.Tensor = tf.reshape(packed, [K, 1, cols]);
      const next = (f: (x: tf.Tensor) => tf.Tensor) => {
        const y = f(t);
        if (t !== packed) t.dispose();
        t = y;
      };
      // (K, 1, N) & (1, P, N-broadcast) -> (K, P, N): slot s of each word, still in place (bits b·s .. b·s+b-1).
      const masks = tf.tensor3d(Int32Array.from({ length: P }, (_, s) => (((1 << bits) - 1) << (bits * s)) | 0), [1, P, 1], 'int32');
      next((x) => bitwiseAnd(x, masks));
      next((x) => tf.cast(x, 'float32')); // <= b significant bits: exact
      next((x) => tf.mul(x, tf.tensor3d(Float32Array.from({ length: P }, (_, s) => 2 ** (-bits * s)), [1, P, 1])));
      next((x) => tf.mod(x, 2 ** bits)); // the top slot came out of the sign bit as code - 2^b
      next((x) => tf.reshape(x, [K * P, cols])); // (ceil(in/P)·P, N) codes
      if (K * P < nG * G) next((x) => tf.pad(x, [[0, nG * G - K * P], [0, 0]])); // G is a multiple of P: pad only
      next((x) => tf.reshape(x, [nG, G, cols]));
      const s3 = tf.reshape(scales, [nG, 1, cols]);
      if (zeros) {
        next((x) => tf.mul(x, s3));
        next((x) => tf.add(x, tf.reshape(zeros, [nG, 1, cols])));
      } else {
        next((x) => tf.sub(x, symmetricMid(bits)));
        next((x) => tf.mul(x, s3));
      }
      next((x) => tf.reshape(x, [nG * G, cols]));
      if (nG * G > rows) next((x) => tf.slice(x, [0, 0], [rows, cols]));
      return t as tf.Tensor2D;
    });
    if (!whole) tf.dispose([packed, scales, ...(zeros ? [zeros] : [])]);
    return out;
  }

  dispose(): void {
    if (this.disposed) return; // a tied embedding and lm_head share one QTensor
    this.disposed = true;
    if (this.dev) tf.dispose([this.dev.packed, this.dev.scales, ...(this.dev.zeros ? [this.dev.zeros] : [])]);
    this.dev = null;
    this.host = null;
  }
}

export interface WeightBlock {
  w: tf.Tensor | QTensor;
  /** First row (axis 0) or column (axis 1) of the whole matrix that this block holds. */
  start: number;
  /** Rows or columns it holds. */
  size: number;
}

/**
 * A 2-D weight held as blocks along one axis, each small enough for one storage binding. Axis 1 (column blocks of
 * an [in, out] matrix) serves linear layers and the lm_head; axis 0 (row blocks) serves an f32 embedding [V, C].
 */
export class SplitWeight {
  constructor(readonly axis: 0 | 1, readonly blocks: WeightBlock[], readonly shape: [number, number]) {
    let next = 0;
    for (const b of blocks) {
      if (b.start !== next) throw new Error(`SplitWeight: block at ${b.start} does not follow the previous one (${next})`);
      const [r, c] = b.w.shape as number[];
      if ((axis === 1 ? [r, c] : [c, r]).join() !== [shape[1 - axis], b.size].join()) throw new Error(`SplitWeight: block [${r}, ${c}] does not fit [${shape}] along axis ${axis}`);
      next += b.size;
    }
    if (next !== shape[axis]) throw new Error(`SplitWeight: blocks cover ${next} of ${shape[axis]}`);
  }

  get size(): number {
    return this.shape[0] * this.shape[1];
  }

  get bytes(): number {
    return this.blocks.reduce((s, b) => s + weightBytes(b.w), 0);
  }

  dispose(): void {
    for (const b of this.blocks) b.w.dispose();
  }
}

/** What a model's weight map holds. */
export type WeightTensor = tf.Tensor | QTensor | SplitWeight;

export function weightBytes(w: WeightTensor): number {
  return w instanceof tf.Tensor ? w.size * 4 : w.bytes;
}

/** Bytes of a weight map as stored and as f32, counting storage shared by two names (a tied head) once. */
export function storedBytes(weights: Iterable<WeightTensor>): { now: number; f32: number } {
  const seen = new Set<WeightTensor>();
  let now = 0, f32 = 0;
  for (const w of weights) {
    if (seen.has(w)) continue;
    seen.add(w);
    now += weightBytes(w);
    f32 += 4 * w.size;
  }
  return { now, f32 };
}

/** The plain tensor behind a weight that must be one (norms, biases); a clear error otherwise. */
export function asTensor(w: WeightTensor, name = 'weight'): tf.Tensor {
  if (w instanceof tf.Tensor) return w;
  throw new Error(`${name} is ${describeWeight(w)}; this operation needs it as one f32 tensor`);
}

/** e.g. "int4 g64 sym [576, 49152]" or "split in 3 column blocks". */
export function describeWeight(w: WeightTensor): string {
  if (w instanceof tf.Tensor) return `f32 [${w.shape}]`;
  if (w instanceof QTensor) return `quantized (int${w.spec.bits} g${w.spec.groupSize} ${w.spec.symmetric ? 'sym' : 'asym'}) [${w.shape}]`;
  return `split in ${w.blocks.length} ${w.axis === 1 ? 'column' : 'row'} blocks [${w.shape}]`;
}

/** A block as f32: the tensor itself, or a fresh dequantized copy (free it with releaseDense). */
export function dense(w: tf.Tensor | QTensor): tf.Tensor {
  return w instanceof QTensor ? w.dequantize() : w;
}

/** Frees what dense() made, never the weight itself. */
export function releaseDense(d: tf.Tensor, w: tf.Tensor | QTensor): void {
  if (d !== w) d.dispose();
}

/**
 * Any [in, out] weight as column blocks, whatever its form: a tensor or a QTensor is one block, a column-split weight
 * its blocks. The chunked lm_head + cross-entropy walks these; DoRA's column norms too. Row-split weights are
 * embeddings [V, C], not [in, out] matrices, and are refused.
 */
export function headBlocks(w: WeightTensor): { w: tf.Tensor | QTensor; start: number; cols: number }[] {
  if (w instanceof SplitWeight) {
    if (w.axis !== 1) throw new Error(`headBlocks: a row-split weight [${w.shape}] is an embedding, not an [in, out] matrix`);
    return w.blocks.map((b) => ({ w: b.w, start: b.start, cols: b.size }));
  }
  return [{ w, start: 0, cols: w.shape[1]! }];
}
