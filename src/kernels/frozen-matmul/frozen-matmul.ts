/**
 * x · W and dy · Wᵀ against a frozen [in, out] weight W on WebGPU, reading W in place: one tiled WGSL matmul
 * (frozen-matmul.wgsl.ts) parameterised on the weight's form (f32, or packed int4/int8 with group scales, decoded in
 * workgroup memory) and on "B transposed". No f32 copy of a quantized W and no transposed copy of any W is made.
 * Two tfjs kernels: 'WebiftFrozenMatmul' (inputs A, B) and 'WebiftQMatmul' (inputs A, P, S[, Z]; the program binds S
 * again as Z for a symmetric W). These are the raw products, no gradient: ops.ts (mmFrozenRight) and qmatmul.ts
 * (frozenMatmul) put them in their custom gradients. On other backends, or for non-f32 activations, every entry point
 * returns null and the caller keeps its tfjs path. The oracle is reference.ts. The forward takes f16 tiles where
 * gpu-features.ts's useF16() says so (the backward never does: see there). Not here: subgroups.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useF16 } from '../gpu-features';
import { i32u, registerProgramKernel, type RunProgram } from '../webgpu-program';
import type { QuantSpec } from '../packed';
import { TILE_M, TILE_N, tiledMatmulCode, WG, type WeightSource } from './frozen-matmul.wgsl';

const F32 = 'WebiftFrozenMatmul';
const QUANT = 'WebiftQMatmul';

interface Attrs {
  transposed: boolean;
  /** Packed only: the spec and W's in-rows (the words hold ceil(rows / P) · P). */
  bits?: 4 | 8;
  groupSize?: number;
  rows?: number;
}

class TiledMatmulProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0, 1] };
  dispatch: [number, number, number];
  workgroupSize = WG;
  size = false;
  uniforms: string;

  /** `half`: f16 tiles (forward only; frozen-matmul.wgsl.ts). */
  private readonly half: boolean;

  constructor(M: number, N: number, private readonly src: WeightSource, private readonly transposed: boolean) {
    this.half = !transposed && useF16();
    this.variableNames = src.kind === 'f32' ? ['A', 'B'] : ['A', 'P', 'S', 'Z'];
    this.uniforms = src.kind === 'f32' ? 'M : i32, K : i32,' : 'M : i32, K : i32, groupSize : i32, asym : i32,';
    this.outputShape = [M, N];
    this.dispatch = [Math.ceil(N / TILE_N), Math.ceil(M / TILE_M), 1];
    const form = src.kind === 'f32' ? 'f32' : `q${src.bits}`;
    this.shaderKey = `webift_frozen_matmul_${form}_${transposed ? 't' : 'n'}${this.half ? '_h' : ''}`;
  }

  getUserCode(): string {
    return tiledMatmulCode(this.src, this.transposed, this.half);
  }
}


/**
 * The inputs as 1-D views of the same data, dims passed as uniforms instead: tfjs keys its pipeline cache on how
 * input shapes broadcast against the output (a square W, one group, M = 1 each made another variant, ~1 s of
 * compiling each on SwiftShader); flat, there is one pipeline per form and direction.
 */
function runFlat(run: RunProgram, program: TiledMatmulProgram, inputs: tf.TensorInfo[], dims: number[]): tf.TensorInfo {
  const flat = inputs.map((t) => ({ dataId: t.dataId, dtype: t.dtype, shape: [tf.util.sizeFromShape(t.shape)] }));
  return run(program, flat, dims.map(i32u));
}

/** Output [M, N]: M = A's rows, N = W's out (forward) or in (transposed, from B's shape or the `rows` attr). */
function register(): void {
  registerProgramKernel<Attrs>(F32, ({ A, B }, { transposed }, run) => {
    const N = transposed ? B.shape[0] : B.shape[1];
    return runFlat(run, new TiledMatmulProgram(A.shape[0], N, { kind: 'f32' }, transposed), [A, B], A.shape);
  });
  registerProgramKernel<Attrs>(QUANT, ({ A, P, S, Z }, { transposed, bits, groupSize, rows }, run) => {
    const N = transposed ? rows! : P.shape[1];
    const program = new TiledMatmulProgram(A.shape[0], N, { kind: 'packed', bits: bits! }, transposed);
    return runFlat(run, program, [A, P, S, Z ?? S], [...A.shape, groupSize!, Z ? 1 : 0]);
  });
}

/** webgpu, an f32 matrix, and rows within one dispatch dimension (65535 row tiles). */
function usable(x: tf.Tensor): boolean {
  return tf.getBackend() === 'webgpu' && x.dtype === 'float32' && x.rank === 2 && Math.ceil(x.shape[0]! / TILE_M) <= 65535;
}

/** x (M, in) · w [in, out] -> (M, out), or with `transposed` dy (M, out) · wᵀ -> (M, in); null off webgpu. */
export function frozenMatmulWebGpu(x: tf.Tensor, w: tf.Tensor, transposed = false): tf.Tensor2D | null {
  if (!usable(x) || w.dtype !== 'float32' || w.rank !== 2) return null;
  const K = transposed ? w.shape[1] : w.shape[0];
  if (x.shape[1] !== K) throw new Error(`frozenMatmulWebGpu: x [${x.shape}] does not match w [${w.shape}]${transposed ? 'ᵀ' : ''}`);
  register();
  return tf.engine().runKernel(F32, { A: x, B: w }, { transposed } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/** The device form of a quantized [rows, out] matrix (QTensor's): int32 words, scales, zeros (asymmetric). */
export interface PackedParts {
  packed: tf.Tensor; // int32 [ceil(rows / P), out]
  scales: tf.Tensor; // [ceil(rows / G), out]
  zeros: tf.Tensor | null;
  rows: number;
  spec: QuantSpec;
}

/** The same products for a quantized W, decoded tile by tile inside the matmul; null off webgpu. */
export function qmatmulWebGpu(x: tf.Tensor, w: PackedParts, transposed = false): tf.Tensor2D | null {
  if (!usable(x)) return null;
  const K = transposed ? w.packed.shape[1] : w.rows;
  if (x.shape[1] !== K) throw new Error(`qmatmulWebGpu: x [${x.shape}] does not match w [${w.rows}, ${w.packed.shape[1]}]${transposed ? 'ᵀ' : ''}`);
  register();
  const inputs: tf.NamedTensorMap = w.zeros ? { A: x, P: w.packed, S: w.scales, Z: w.zeros } : { A: x, P: w.packed, S: w.scales };
  const attrs = { transposed, bits: w.spec.bits, groupSize: w.spec.groupSize, rows: w.rows };
  return tf.engine().runKernel(QUANT, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}
