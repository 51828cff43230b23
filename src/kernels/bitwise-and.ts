/**
 * a & b on int32 tensors with broadcasting (equal rank, each dim equal or 1), exact on every backend. cpu and wasm
 * register tfjs's BitwiseAnd kernel (and both broadcast); tfjs-webgpu 4.22 has none, so we register one: a flat
 * elementwise program that reads both inputs as raw i32 (tfjs's own getters go through f32, which drops the low bits
 * of words above 2^24). The op tf.bitwiseAnd insists on equal shapes, so the kernel is called directly.
 */
import * as tf from '@tensorflow/tfjs-core';

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

interface WebGpuLike {
  runWebGPUProgram(program: unknown, inputs: tf.TensorInfo[], dtype: tf.DataType): tf.TensorInfo;
}

function ensureWebGpuKernel(): void {
  if (tf.getBackend() !== 'webgpu' || tf.getKernel(KERNEL, 'webgpu')) return;
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend }) => {
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const out = a.shape.map((d, i) => Math.max(d, b.shape[i]));
      return (backend as unknown as WebGpuLike).runWebGPUProgram(new BitwiseAndProgram(out, a.shape, b.shape), [a, b], 'int32');
    },
  });
}

/** a & b, int32, broadcast over dims of size 1 (equal ranks 1-4). */
export function bitwiseAnd(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.dtype !== 'int32' || b.dtype !== 'int32') throw new Error(`bitwiseAnd needs int32 tensors, got ${a.dtype} and ${b.dtype}`);
  if (a.rank !== b.rank || a.rank < 1 || a.rank > 4) throw new Error(`bitwiseAnd needs equal ranks 1-4, got [${a.shape}] and [${b.shape}]`);
  a.shape.forEach((d, i) => {
    if (d !== b.shape[i] && d !== 1 && b.shape[i] !== 1) throw new Error(`bitwiseAnd: [${a.shape}] and [${b.shape}] do not broadcast`);
  });
  ensureWebGpuKernel();
  return tf.engine().runKernel(KERNEL, { a, b }) as tf.Tensor;
}
