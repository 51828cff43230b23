/**
 * SwiGLU, silu(gate)·up, as one kernel each way over tfjs-wasm's heap ('WebiftSwiglu', 'WebiftSwigluGrad') in place
 * of tfjs's sigmoid and two muls, for products of up to SMALL elements: decode's rows, where the engine's per-op cost
 * is the price. Larger tensors keep tfjs's ops, whose sigmoid is vectorised (a scalar Math.exp loop is slower there).
 * Checked against reference.ts in tests/kernels/cpu-fused.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapF32, registerHeapKernel } from '../wasm-heap';

const FWD = 'WebiftSwiglu';
const BWD = 'WebiftSwigluGrad';
/** Above this many elements the composed ops win (measured: 1.5 M elements, tfjs-wasm's sigmoid is vectorised). */
export const SWIGLU_FUSED_MAX = 1 << 16;

function register(): void {
  registerHeapKernel<object>(FWD, (backend, { g, u }) => {
    const out = backend.makeOutput(g.shape, 'float32');
    const [gv, uv, y] = [heapF32(backend, g), heapF32(backend, u), heapF32(backend, out)];
    for (let i = 0; i < gv.length; i++) y[i] = (gv[i] / (1 + Math.exp(-gv[i]))) * uv[i];
    return out;
  });
  registerHeapKernel<object>(BWD, (backend, { g, u, dy }) => {
    const dgT = backend.makeOutput(g.shape, 'float32');
    const duT = backend.makeOutput(g.shape, 'float32');
    const [gv, uv, d, dg, du] = [heapF32(backend, g), heapF32(backend, u), heapF32(backend, dy), heapF32(backend, dgT), heapF32(backend, duT)];
    for (let i = 0; i < gv.length; i++) {
      const s = 1 / (1 + Math.exp(-gv[i]));
      dg[i] = d[i] * uv[i] * s * (1 + gv[i] * (1 - s));
      du[i] = d[i] * gv[i] * s;
    }
    return [dgT, duT];
  });
}

/** silu(g)·u on wasm for up to SWIGLU_FUSED_MAX elements, with gradients; null otherwise (the caller composes). */
export function swigluWasm(g: tf.Tensor, u: tf.Tensor): tf.Tensor | null {
  if (tf.getBackend() !== 'wasm' || g.dtype !== 'float32' || u.dtype !== 'float32' || g.size > SWIGLU_FUSED_MAX || !tf.util.arraysEqual(g.shape, u.shape)) return null;
  register();
  if (!tf.engine().isTapeOn()) return tf.engine().runKernel(FWD, { g, u }) as tf.Tensor;
  const f = tf.customGrad(((gi: tf.Tensor, ui: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
    save([gi, ui]);
    return {
      value: tf.engine().runKernel(FWD, { g: gi, u: ui }) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.engine().runKernel(BWD, { g: saved[0], u: saved[1], dy }) as tf.Tensor[],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(g, u) as tf.Tensor;
}
