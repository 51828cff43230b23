/**
 * SwiGLU, silu(gate)·up, as one kernel over tfjs-wasm's heap ('WebiftSwiglu') in place of tfjs's sigmoid and two
 * muls, for inference (no tape) on up to SWIGLU_FUSED_MAX elements: decode's rows, where the engine's per-op cost is
 * the price (30 fewer engine calls per token at 30 layers). Training and larger tensors keep tfjs's ops: its sigmoid
 * is vectorised, where this is a scalar Math.exp loop. Checked against reference.ts in tests/kernels/cpu-fused.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapF32, registerHeapKernel } from '../wasm-heap';

const FWD = 'WebiftSwiglu';
/** Decode-sized rows only: above this, tfjs-wasm's vectorised sigmoid (XNNPACK) beats a scalar Math.exp loop. */
export const SWIGLU_FUSED_MAX = 1 << 16;

function register(): void {
  registerHeapKernel<object>(FWD, (backend, { g, u }) => {
    const out = backend.makeOutput(g.shape, 'float32');
    const [gv, uv, y] = [heapF32(backend, g), heapF32(backend, u), heapF32(backend, out)];
    for (let i = 0; i < gv.length; i++) y[i] = (gv[i] / (1 + Math.exp(-gv[i]))) * uv[i];
    return out;
  });
}

/** silu(g)·u on wasm without a tape, for up to SWIGLU_FUSED_MAX elements; null otherwise (the caller composes). */
export function swigluWasm(g: tf.Tensor, u: tf.Tensor): tf.Tensor | null {
  if (tf.getBackend() !== 'wasm' || tf.engine().isTapeOn() || g.dtype !== 'float32' || u.dtype !== 'float32' || g.size > SWIGLU_FUSED_MAX || !tf.util.arraysEqual(g.shape, u.shape)) return null;
  register();
  return tf.engine().runKernel(FWD, { g, u }) as tf.Tensor;
}
