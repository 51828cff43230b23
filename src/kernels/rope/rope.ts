/**
 * RoPE as our own WebGPU kernels ('WebiftRope', 'WebiftRopeGrad'), registered with tfjs and wired into a gradient:
 * one dispatch each way instead of tfjs's split, neg, concat, two muls and an add (plus a split and a concat more for
 * partial rotary, and the five-way reshape of the interleaved form). Both conventions, rotate_half and GPT-J
 * interleaved, and partial rotary (the first R = cos.shape[3] channels of each head rotate). The cos/sin tables are
 * the host ones the model already builds (ops.ropeHostTables, rope-interleaved.ts), read as they are: constants, so
 * only x gets a gradient. Programs follow tfjs-webgpu's program shape (variableNames, outputShape, dispatch,
 * shaderKey, getUserCode); the shaders are in rope.wgsl.ts and the oracle in reference.ts. On other backends, or for
 * tables it does not expect, `ropeFused` returns null and the caller keeps the composed ops. On wasm the same two kernels
 * run as loops over the heap (rope-wasm.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerProgramKernel } from '../webgpu-program';
import { registerRopeWasm } from './rope-wasm';
import { ropeCode, WG, type RopeStyle } from './rope.wgsl';

export type { RopeStyle };

const FWD = 'WebiftRope';
const BWD = 'WebiftRopeGrad';

class RopeProgram {
  variableNames = ['x', 'cos', 'sin'];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WG, 1, 1];
  size = true;

  constructor(shape: number[], private readonly style: RopeStyle, private readonly backward: boolean) {
    this.outputShape = shape;
    this.dispatchLayout = { x: shape.map((_, i) => i) };
    // Flat: one thread per element; tfjs folds a dispatch past the per-dimension limit into y and z.
    this.dispatch = [Math.ceil(shape.reduce((a, b) => a * b, 1) / WG), 1, 1];
    this.shaderKey = `webift_rope_${style}_${backward ? 'bwd' : 'fwd'}`;
  }

  getUserCode(): string {
    return ropeCode(this.style, this.backward);
  }
}


function register(): void {
  for (const [name, backward] of [[FWD, false], [BWD, true]] as const) {
    registerProgramKernel<{ style: RopeStyle }>(name, ({ x, cos, sin }, { style }, run) => run(new RopeProgram(x.shape, style, backward), [x, cos, sin]));
  }
}

/** Whether the tables fit the kernel: (1 or B, 1, T, R) f32 with R even and at most D. */
function fits(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): boolean {
  if (x.rank !== 4 || cos.rank !== 4 || x.dtype !== 'float32' || cos.dtype !== 'float32' || sin.dtype !== 'float32') return false;
  const [B, , T, D] = x.shape;
  const [Bc, one, Tc, R] = cos.shape;
  return (Bc === 1 || Bc === B) && one === 1 && Tc === T && R % 2 === 0 && R <= D && tf.util.arraysEqual(cos.shape, sin.shape);
}

/**
 * x (B, H, T, D) rotated by our kernel (WGSL on webgpu, a heap loop on wasm), with its gradient for x. `style` 'half'
 * is HF's rotate_half (pairs (i, i + R/2)), 'interleaved' GPT-J's (pairs (2i, 2i + 1)). Null on other backends or
 * for tables the kernel does not take.
 */
export function ropeFused(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor, style: RopeStyle): tf.Tensor | null {
  if (!registered(x, cos, sin)) return null;
  if (!tf.engine().isTapeOn()) return rotate(x, cos, sin, style, false);
  const f = tf.customGrad(((xi: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
    save([cos, sin]); // kept for the backward even if the caller's tidy frees its tables first
    return {
      value: rotate(xi, cos, sin, style, false),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => rotate(dy, saved[0], saved[1], style, true),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as tf.Tensor;
}

/** One direction of the registered kernel; backward is the rotation by −θ. */
function rotate(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor, style: RopeStyle, backward: boolean): tf.Tensor {
  return tf.engine().runKernel(backward ? BWD : FWD, { x, cos, sin }, { style } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** Registers the kernels on this backend; false where they do not run (other backends, tables they do not take). */
function registered(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): boolean {
  const backend = tf.getBackend();
  if ((backend !== 'webgpu' && backend !== 'wasm') || !fits(x, cos, sin)) return false;
  if (backend === 'webgpu') register();
  else registerRopeWasm(); // the same two kernels as loops over tfjs-wasm's heap (rope-wasm.ts)
  return true;
}

/**
 * One direction of the rotation with no gradient of its own (for hand-written block backwards, model/fused-block.ts):
 * backward rotates by −θ, which is the forward's gradient. Null where ropeFused would be.
 */
export function ropeKernel(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor, style: RopeStyle, backward: boolean): tf.Tensor | null {
  return registered(x, cos, sin) ? rotate(x, cos, sin, style, backward) : null;
}
