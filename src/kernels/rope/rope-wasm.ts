/**
 * RoPE on the CPU path: 'WebiftRope' and 'WebiftRopeGrad' registered on tfjs-wasm as loops over the heap, so
 * rope.ts's wrapper (tables, styles, partial rotary, the gradient) serves wasm as it serves webgpu. One engine call
 * instead of the split, neg, concat, two muls and add (60 fewer per decoded token at 30 layers). The gradient is
 * the rotation by −θ: dx[d] = dy[d]·cos[d] − sgn(d)·dy[p(d)]·sin[p(d)]. Checked against reference.ts in
 * tests/kernels/cpu-fused.test.ts.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { heapF32, registerHeapKernel, type WasmBackendLike } from '../wasm-heap';
import type { RopeStyle } from './rope.wgsl';

function rotate(backend: WasmBackendLike, x: tf.TensorInfo, cos: tf.TensorInfo, sin: tf.TensorInfo, style: RopeStyle, backward: boolean): tf.TensorInfo {
  const [B, H, T, D] = x.shape;
  const [Bc, , , R] = cos.shape;
  const out = backend.makeOutput(x.shape, 'float32');
  const [xv, c, s, y] = [heapF32(backend, x), heapF32(backend, cos), heapF32(backend, sin), heapF32(backend, out)];
  const half = R / 2;
  // Forward y[d] = x[d]·c[d] + sgn(d)·x[p]·s[d]; backward reads the partner's table entry with the sign flipped.
  const sign = backward ? -1 : 1;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++) {
        const at = ((b * H + h) * T + t) * D, tab = ((Bc === 1 ? 0 : b) * T + t) * R;
        if (style === 'half') {
          for (let d = 0; d < half; d++) {
            const x1 = xv[at + d], x2 = xv[at + d + half];
            const ta = tab + (backward ? d + half : d), tb = tab + (backward ? d : d + half);
            y[at + d] = x1 * c[tab + d] - sign * x2 * s[ta];
            y[at + d + half] = x2 * c[tab + d + half] + sign * x1 * s[tb];
          }
        } else {
          for (let d = 0; d < R; d += 2) {
            const x1 = xv[at + d], x2 = xv[at + d + 1];
            const ta = tab + (backward ? d + 1 : d), tb = tab + (backward ? d : d + 1);
            y[at + d] = x1 * c[tab + d] - sign * x2 * s[ta];
            y[at + d + 1] = x2 * c[tab + d + 1] + sign * x1 * s[tb];
          }
        }
        for (let d = R; d < D; d++) y[at + d] = xv[at + d];
      }
  return out;
}

/** Registers the two RoPE kernels on wasm (once). */
export function registerRopeWasm(): void {
  for (const [name, backward] of [['WebiftRope', false], ['WebiftRopeGrad', true]] as const) {
    registerHeapKernel<{ style: RopeStyle }>(name, (backend, { x, cos, sin }, { style }) => rotate(backend, x, cos, sin, style, backward));
  }
}
