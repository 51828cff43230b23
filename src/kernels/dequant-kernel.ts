/**
 * Dequantization in one pass, as a tfjs kernel ('WebiftDequantize') on cpu, wasm and webgpu: out[r, c] = decode of
 * code (word [r/P, c0 + c] >> b·(r%P)) & mask with its group's scale (and zero), straight from the packed words, for
 * columns [c0, c0 + n); or out[c, r] (transposed, for a backward's dy · Wᵀ without a separate transpose). cpu and wasm run decodeRange (packed.ts) over the backend's buffers; webgpu runs the WGSL
 * below. Each is bit-exact with the reference (webgpu may fuse code·scale + zero: 1 ulp). QTensor falls back to the
 * portable tfjs-op chain on any other backend. Measured on wasm, [576, 1536] int4: 144 ms for the op chain.
 */
import * as tf from '@tensorflow/tfjs-core';
import { i32u, programKernelConfig } from './webgpu-program';
import { decodeRange, perWord, symmetricMid, type QuantSpec } from './packed';

const KERNEL = 'WebiftDequantize';

interface Attrs {
  rows: number;
  c0: number;
  n: number;
  bits: number;
  groupSize: number;
  transposed: boolean;
}

interface JsBackend {
  readSync(dataId: object): unknown;
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
  makeOutput?(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap?(t: tf.TensorInfo): Float32Array | Int32Array;
}

/** cpu: read the arrays, decode into a fresh one. wasm: decode from heap views straight into the output's heap. */
function jsKernel(backendName: 'cpu' | 'wasm'): tf.KernelConfig {
  return {
    kernelName: KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { packed, scales, zeros } = inputs as { packed: tf.TensorInfo; scales: tf.TensorInfo; zeros?: tf.TensorInfo };
      const a = attrs as unknown as Attrs;
      const spec: QuantSpec = { bits: a.bits as 4 | 8, groupSize: a.groupSize, symmetric: !zeros };
      const cols = packed.shape[1];
      const shape = a.transposed ? [a.n, a.rows] : [a.rows, a.n];
      const b = backend as unknown as JsBackend;
      if (backendName === 'cpu') {
        const out = new Float32Array(a.rows * a.n);
        decodeRange(b.readSync(packed.dataId) as Int32Array, b.readSync(scales.dataId) as Float32Array, zeros ? (b.readSync(zeros.dataId) as Float32Array) : null, a.rows, cols, spec, a.c0, a.n, out, a.transposed);
        return b.makeTensorInfo!(shape, 'float32', out);
      }
      // Allocate first: a heap that grows detaches every view taken before.
      const info = b.makeOutput!(shape, 'float32');
      const heap = (t: tf.TensorInfo) => b.typedArrayFromHeap!(t);
      decodeRange(heap(packed) as Int32Array, heap(scales) as Float32Array, zeros ? (heap(zeros) as Float32Array) : null, a.rows, cols, spec, a.c0, a.n, heap(info) as Float32Array, a.transposed);
      return info;
    },
  };
}

/** One invocation per output element; packed words read as raw i32 (tfjs's getters would round them through f32). */
class DequantizeProgram {
  variableNames: string[];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  uniforms = 'c0 : i32,';
  outputShape: number[];
  dispatchLayout = { x: [0, 1] };
  dispatch: [number, number, number];
  shaderKey: string;

  constructor(private readonly a: Attrs, private readonly asym: boolean) {
    this.variableNames = asym ? ['P', 'S', 'Z'] : ['P', 'S'];
    this.outputShape = a.transposed ? [a.n, a.rows] : [a.rows, a.n];
    this.dispatch = [Math.ceil((a.rows * a.n) / 64), 1, 1];
    this.shaderKey = `webift_dequantize_${a.bits}_${a.groupSize}_${asym ? 'asym' : 'sym'}_${a.transposed ? 't' : 'n'}`;
  }

  getUserCode(): string {
    const { bits, groupSize } = this.a;
    const P = perWord(bits as 4 | 8);
    const value = this.asym ? 'code * S[g] + Z[g]' : `(code - ${symmetricMid(bits as 4 | 8)}.0) * S[g]`;
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let rc = getCoordsFromIndex(index);
          let r = rc.${this.a.transposed ? 'y' : 'x'};
          let c = rc.${this.a.transposed ? 'x' : 'y'} + uniforms.c0;
          let word = bitcast<u32>(P[(r / ${P}) * uniforms.pShape.y + c]);
          let code = f32((word >> u32(${bits} * (r % ${P}))) & ${(1 << bits) - 1}u);
          let g = (r / ${groupSize}) * uniforms.sShape.y + c;
          setOutputAtIndex(index, ${value});
        }
      }`;
  }
}


const webgpuKernel = programKernelConfig<Attrs>(KERNEL, ({ packed, scales, zeros }, a, run) =>
  run(new DequantizeProgram(a, !!zeros), zeros ? [packed, scales, zeros] : [packed, scales], [i32u(a.c0)]));

const KERNELS: Record<string, tf.KernelConfig> = { cpu: jsKernel('cpu'), wasm: jsKernel('wasm'), webgpu: webgpuKernel };

/**
 * Columns [c0, c0 + n) of the f32 [rows, cols] matrix ([n, rows] when transposed), decoded in one pass; null on a
 * backend without the kernel. packed int32 [ceil(rows/P), cols], scales (and zeros) f32 [ceil(rows/G), cols].
 */
export function dequantizeKernel(packed: tf.Tensor, scales: tf.Tensor, zeros: tf.Tensor | null, rows: number, spec: QuantSpec, c0: number, n: number, transposed = false): tf.Tensor2D | null {
  const name = tf.getBackend();
  const config = KERNELS[name];
  if (!config) return null;
  if (!tf.getKernel(KERNEL, name)) tf.registerKernel(config);
  const attrs = { rows, c0, n, bits: spec.bits, groupSize: spec.groupSize, transposed };
  const inputs: tf.NamedTensorMap = zeros ? { packed, scales, zeros } : { packed, scales };
  return tf.engine().runKernel(KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}
