/**
 * Exact int32 ops for packed quantized words, on every backend: a & b with broadcasting (equal rank, each dim equal
 * or 1), and a column slice. tfjs-webgpu 4.22 has no BitwiseAnd, and its own programs (slice, gather, tile) read
 * int32 through f32 getters, which drops the low bits of words above 2^24; our two WGSL programs read raw i32.
 * cpu and wasm register tfjs's BitwiseAnd (both broadcast) and slice int32 exactly. The op tf.bitwiseAnd insists on
 * equal shapes, so the kernel is called directly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { i32u, registerProgramKernel } from './webgpu-program';

const KERNEL = 'BitwiseAnd';
const COORD = ['x', 'y', 'z', 'w'];

/** The WGSL program, in tfjs-webgpu's WebGPUProgram shape (it adds the bindings, uniforms and helpers). */
class BitwiseAndProgram {
  variableNames = ['A', 'B'];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey: string;

  constructor(outShape: number[], private readonly aShape: number[], private readonly bShape: number[]) {
    this.outputShape = outShape;
    this.dispatchLayout = { x: outShape.map((_, i) => i) };
    const n = outShape.reduce((a, d) => a * d, 1);
    this.dispatch = [Math.ceil(n / this.workgroupSize[0]), 1, 1]; // the backend folds this into 2-D/3-D when large
    this.shaderKey = `webift_bitwise_and_${aShape.map((d, i) => (d === 1 && outShape[i] !== 1 ? 'b' : 'f')).join('')}_${bShape.map((d, i) => (d === 1 && outShape[i] !== 1 ? 'b' : 'f')).join('')}`;
  }

  /** Flat index of the input element that output coords `c` read, with broadcast dims pinned to 0. */
  private index(name: 'A' | 'B', shape: number[]): string {
    const r = this.outputShape.length;
    if (r === 1) return shape[0] === 1 ? '0' : 'c';
    const pinned = shape.map((d, i) => (d === 1 && this.outputShape[i] !== 1 ? '0' : `c.${COORD[i]}`));
    return `getIndexFromCoords${r}D(vec${r}<i32>(${pinned.join(', ')}), uniforms.${name.toLowerCase()}Shape)`;
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let c = getCoordsFromIndex(index);
          setOutputAtIndexI32(index, A[${this.index('A', this.aShape)}] & B[${this.index('B', this.bShape)}]);
        }
      }`;
  }
}

/** out[r, c] = A[r, c0 + c] for an int32 A [R, C], copied as raw i32. */
class SliceColumnsProgram {
  variableNames = ['A'];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  uniforms = 'c0 : i32,';
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey = 'webift_slice_columns_i32';

  constructor(rows: number, n: number) {
    this.outputShape = [rows, n];
    this.dispatchLayout = { x: [0, 1] };
    this.dispatch = [Math.ceil((rows * n) / this.workgroupSize[0]), 1, 1];
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let c = getCoordsFromIndex(index);
          setOutputAtIndexI32(index, A[c.x * uniforms.aShape.y + uniforms.c0 + c.y]);
        }
      }`;
  }
}


const SLICE_KERNEL = 'WebiftSliceColumnsI32';

function ensureWebGpuKernels(): void {
  if (tf.getBackend() !== 'webgpu') return;
  registerProgramKernel<{ c0: number; n: number }>(SLICE_KERNEL, ({ x }, { c0, n }, run) => run(new SliceColumnsProgram(x.shape[0], n), [x], [i32u(c0)], 'int32'));
  registerProgramKernel<object>(KERNEL, ({ a, b }, _attrs, run) => {
    const out = a.shape.map((d, i) => Math.max(d, b.shape[i]));
    return run(new BitwiseAndProgram(out, a.shape, b.shape), [a, b], undefined, 'int32');
  });
}

/** a & b, int32, broadcast over dims of size 1 (equal ranks 1-4). */
export function bitwiseAnd(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.dtype !== 'int32' || b.dtype !== 'int32') throw new Error(`bitwiseAnd needs int32 tensors, got ${a.dtype} and ${b.dtype}`);
  if (a.rank !== b.rank || a.rank < 1 || a.rank > 4) throw new Error(`bitwiseAnd needs equal ranks 1-4, got [${a.shape}] and [${b.shape}]`);
  a.shape.forEach((d, i) => {
    if (d !== b.shape[i] && d !== 1 && b.shape[i] !== 1) throw new Error(`bitwiseAnd: [${a.shape}] and [${b.shape}] do not broadcast`);
  });
  ensureWebGpuKernels();
  return tf.engine().runKernel(KERNEL, { a, b }) as tf.Tensor;
}

/** Columns [c0, c0 + n) of an int32 matrix, bit-exact (tf.slice on cpu and wasm; a raw-i32 copy on webgpu). */
export function sliceColumns(t: tf.Tensor, c0: number, n: number): tf.Tensor {
  if (t.dtype !== 'int32' || t.rank !== 2) throw new Error(`sliceColumns needs an int32 matrix, got ${t.dtype} [${t.shape}]`);
  if (!(c0 >= 0 && n >= 1 && c0 + n <= t.shape[1]!)) throw new Error(`sliceColumns: [${c0}, ${c0 + n}) is outside ${t.shape[1]} columns`);
  if (tf.getBackend() !== 'webgpu') return tf.slice(t, [0, c0], [-1, n]);
  ensureWebGpuKernels();
  return tf.engine().runKernel(SLICE_KERNEL, { x: t }, { c0, n } as unknown as tf.NamedAttrMap) as tf.Tensor;
}
