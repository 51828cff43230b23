/**
 * SwiGLU, silu(gate)·up, as kernels over tfjs-wasm's heap: 'WebiftSwiglu' in place of tfjs's sigmoid and two muls,
 * without a tape, and 'WebiftSwigluGrad' (du and dg at once, in place of about eight ops) for hand-written block
 * backwards (model/fused-block.ts). heap.c's SIMD loops run both (kernels/heap). Where that module is off the
 * forward keeps a scalar Math.exp loop for decode-sized rows only (up to SWIGLU_FUSED_MAX elements: there the
 * engine's per-op cost is the price; above it tfjs-wasm's vectorised sigmoid wins) and the backward is not offered.
 * Under a tape the composed ops run. Checked against reference.ts and tfjs's autodiff in tests/kernels/cpu-fused.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapKernels, heapOffset } from '../heap/heap-module';
import { heapF32, registerHeapKernel, type WasmBackendLike } from '../wasm-heap';

const FWD = 'WebiftSwiglu';
const BWD = 'WebiftSwigluGrad';
/** Without the heap module, decode-sized rows only: above this, tfjs-wasm's vectorised sigmoid beats a scalar loop. */
export const SWIGLU_FUSED_MAX = 1 << 16;

function register(): void {
  registerHeapKernel<object>(FWD, (backend, { g, u }) => {
    const out = backend.makeOutput(g.shape, 'float32');
    const k = heapKernels(backend);
    if (k) {
      k.swiglu_fwd(heapOffset(backend, g), heapOffset(backend, u), heapOffset(backend, out), tf.util.sizeFromShape(g.shape));
      return out;
    }
    const [gv, uv, y] = [heapF32(backend, g), heapF32(backend, u), heapF32(backend, out)];
    for (let i = 0; i < gv.length; i++) y[i] = (gv[i] / (1 + Math.exp(-gv[i]))) * uv[i];
    return out;
  });
  registerHeapKernel<object>(BWD, (backend, { g, u, ds }) => {
    const du = backend.makeOutput(g.shape, 'float32'), dg = backend.makeOutput(g.shape, 'float32');
    const at = (t: tf.TensorInfo) => heapOffset(backend, t);
    heapKernels(backend)!.swiglu_bwd(at(g), at(u), at(ds), at(du), at(dg), tf.util.sizeFromShape(g.shape));
    return [dg, du];
  });
}

function usable(g: tf.Tensor, u: tf.Tensor): boolean {
  return tf.getBackend() === 'wasm' && g.dtype === 'float32' && u.dtype === 'float32' && tf.util.arraysEqual(g.shape, u.shape);
}

const heap = () => heapKernels(tf.backend() as unknown as WasmBackendLike);

/** silu(g)·u on wasm without a tape (any size with the heap module, else up to SWIGLU_FUSED_MAX); null otherwise. */
export function swigluWasm(g: tf.Tensor, u: tf.Tensor): tf.Tensor | null {
  if (!usable(g, u) || tf.engine().isTapeOn() || (g.size > SWIGLU_FUSED_MAX && !heap())) return null;
  register();
  return tf.engine().runKernel(FWD, { g, u }) as tf.Tensor;
}

/** [dg, du] of y = silu(g)·u for the upstream gradient ds, with the heap module on wasm; null otherwise. */
export function swigluWasmBackward(g: tf.Tensor, u: tf.Tensor, ds: tf.Tensor): [tf.Tensor, tf.Tensor] | null {
  if (!usable(g, u) || ds.dtype !== 'float32' || !tf.util.arraysEqual(g.shape, ds.shape) || !heap()) return null;
  register();
  return tf.engine().runKernel(BWD, { g, u, ds }) as [tf.Tensor, tf.Tensor];
}
