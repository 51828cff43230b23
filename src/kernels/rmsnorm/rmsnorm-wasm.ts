/**
 * RMSNorm on the CPU path as one kernel each way over tfjs-wasm's heap ('WebiftRmsNorm' and 'WebiftRmsNormGrad' on
 * wasm): the forward replaces tfjs's square, mean, add, rsqrt and two muls (six engine calls, six passes), the
 * backward returns dx and dw together (the composed gradient is about fifteen ops). Sums in f64. heap.c's SIMD
 * loops run them (kernels/heap); the TypeScript loops below where that module is off. At 30 layers that
 * is 300 fewer engine calls per decoded token. Checked against reference.ts in tests/kernels/cpu-fused.test.ts and
 * by the HF parity suites on wasm.
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapKernels, heapOffset } from '../heap/heap-module';
import { heapF32, registerHeapKernel } from '../wasm-heap';

const FWD = 'WebiftRmsNorm';
const BWD = 'WebiftRmsNormGrad';

function register(): void {
  registerHeapKernel<{ eps: number }>(FWD, (backend, { x, w }, { eps }) => {
    const C = x.shape[x.shape.length - 1];
    const out = backend.makeOutput(x.shape, 'float32');
    const k = heapKernels(backend);
    if (k) {
      k.rms_fwd(heapOffset(backend, x), heapOffset(backend, w), heapOffset(backend, out), tf.util.sizeFromShape(x.shape) / C, C, eps);
      return out;
    }
    const [xv, wv, y] = [heapF32(backend, x), heapF32(backend, w), heapF32(backend, out)];
    for (let base = 0; base < xv.length; base += C) {
      let ss = 0;
      for (let c = 0; c < C; c++) ss += xv[base + c] * xv[base + c];
      const rstd = 1 / Math.sqrt(ss / C + eps);
      for (let c = 0; c < C; c++) y[base + c] = xv[base + c] * rstd * wv[c];
    }
    return out;
  });
  registerHeapKernel<{ eps: number }>(BWD, (backend, { x, w, dy }, { eps }) => {
    const C = x.shape[x.shape.length - 1];
    const dxT = backend.makeOutput(x.shape, 'float32');
    const dwT = backend.makeOutput([C], 'float32');
    const k = heapKernels(backend);
    if (k) {
      const acc = backend.makeOutput([2 * C], 'float32'); // C doubles of scratch
      const at = (t: tf.TensorInfo) => heapOffset(backend, t);
      k.rms_bwd(at(x), at(w), at(dy), at(dxT), at(dwT), at(acc), tf.util.sizeFromShape(x.shape) / C, C, eps);
      backend.disposeData(acc.dataId);
      return [dxT, dwT];
    }
    const [xv, wv, g, dx] = [heapF32(backend, x), heapF32(backend, w), heapF32(backend, dy), heapF32(backend, dxT)];
    const dw = new Float64Array(C);
    for (let base = 0; base < xv.length; base += C) {
      let ss = 0, gx = 0;
      for (let c = 0; c < C; c++) {
        const v = xv[base + c];
        ss += v * v;
        gx += g[base + c] * wv[c] * v;
      }
      const rstd = 1 / Math.sqrt(ss / C + eps);
      const k = (rstd * rstd * gx) / C;
      for (let c = 0; c < C; c++) {
        const v = xv[base + c];
        dx[base + c] = rstd * (g[base + c] * wv[c] - v * k);
        dw[c] += g[base + c] * v * rstd;
      }
    }
    heapF32(backend, dwT).set(dw);
    return [dxT, dwT];
  });
}

/** RMSNorm over the last axis on wasm with gradients to x and w; null on other backends. `w` is the effective scale. */
export function rmsNormWasm(x: tf.Tensor, w: tf.Tensor, eps: number): tf.Tensor | null {
  if (tf.getBackend() !== 'wasm' || x.dtype !== 'float32' || w.dtype !== 'float32') return null;
  register();
  const attrs = { eps } as unknown as tf.NamedAttrMap;
  if (!tf.engine().isTapeOn()) return tf.engine().runKernel(FWD, { x, w }, attrs) as tf.Tensor;
  const f = tf.customGrad(((xi: tf.Tensor, wi: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
    save([xi, wi]);
    return {
      value: tf.engine().runKernel(FWD, { x: xi, w: wi }, attrs) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => rmsNormWasmBackward(saved[0], saved[1], dy, eps),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x, w) as tf.Tensor;
}

/** The backward alone, for hand-written block backwards (model/fused-block.ts): [dx, dw] of y = rmsnorm(x) · w. */
export function rmsNormWasmBackward(x: tf.Tensor, w: tf.Tensor, dy: tf.Tensor, eps: number): tf.Tensor[] {
  register();
  return tf.engine().runKernel(BWD, { x, w, dy }, { eps } as unknown as tf.NamedAttrMap) as tf.Tensor[];
}
