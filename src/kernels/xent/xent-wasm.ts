/**
 * Softmax cross-entropy of a logits chunk on wasm ('WebiftXentRows'), for kernels/linear-xent: heap.c's xent_rows
 * (kernels/heap) gives the logits' gradient dz and each row's (max, Σ exp) in one kernel over tfjs's heap, in place
 * of tfjs-wasm's max, sub, exp, sum, log, gather, oneHot, cast, div, sub and mul chain (each a single-threaded pass
 * over the chunk, the exp alone about 0.45 s of a SmolLM2-135M step at b4 × 256). The per-row loss
 * m + log s − z_y is taken here from the stats (the module has no libm). No softcap: Gemma2's capped logits keep the
 * composed ops. The oracle is reference.ts, as for the WGSL kernel. Null where it does not apply.
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapKernels, heapOffset } from '../heap/heap-module';
import { heapF32, registerHeapKernel, type WasmBackendLike } from '../wasm-heap';

const KERNEL = 'WebiftXentRows';

function register(): void {
  registerHeapKernel<{ scale: number }>(KERNEL, (backend, { z, tgt }, { scale }) => {
    const [rows, V] = z.shape;
    const loss = backend.makeOutput([rows], 'float32');
    const dz = backend.makeOutput([rows, V], 'float32');
    const stats = backend.makeOutput([rows, 2], 'float32');
    const at = (t: tf.TensorInfo) => heapOffset(backend, t);
    heapKernels(backend)!.xent_rows(at(z), at(tgt), at(stats), at(dz), rows, V, scale);
    // Views after every makeOutput (an allocation may grow the heap); the targets as int32 from the same buffer.
    const st = heapF32(backend, stats), zv = heapF32(backend, z), lv = heapF32(backend, loss);
    const y = new Int32Array(zv.buffer, at(tgt), rows);
    for (let r = 0; r < rows; r++) lv[r] = y[r] < 0 ? 0 : st[2 * r] + Math.log(st[2 * r + 1]) - zv[r * V + y[r]];
    backend.disposeData(stats.dataId);
    return [loss, dz];
  });
}

/**
 * Per-row loss (rows) and dz (rows, V) = (softmax(z) − onehot(y)) · scale (0 for a target of −1) of logits z, on
 * wasm with the heap module; null on other backends, with a softcap, or without the module.
 */
export function softmaxXentWasm(z: tf.Tensor, targets: tf.Tensor, cap: number, scale: number): { loss: tf.Tensor; dz: tf.Tensor } | null {
  if (tf.getBackend() !== 'wasm' || cap !== 0 || z.dtype !== 'float32' || z.rank !== 2 || targets.dtype !== 'int32') return null;
  if (!heapKernels(tf.backend() as unknown as WasmBackendLike)) return null;
  register();
  const [loss, dz] = tf.engine().runKernel(KERNEL, { z, tgt: targets }, { scale } as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { loss, dz };
}
