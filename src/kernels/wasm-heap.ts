/**
 * Kernels written in TypeScript over tfjs-wasm's heap: a tensor's data is a Float32Array view of the wasm memory,
 * so a fused kernel reads its inputs and writes its outputs in place, with no copy and one engine call instead of a
 * chain of tfjs ops. Used by the CPU path's fused kernels (RMSNorm, RoPE, SwiGLU) and by the GEMM pool's bridge.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface WasmBackendLike {
  dataIdMap: { get(id: unknown): { memoryOffset: number }; has(id: unknown): boolean };
  wasm: { HEAPU8: Uint8Array };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object): boolean;
}

/** The f32 data of t as a view of the heap. Take views after every makeOutput: an allocation may grow the heap. */
export function heapF32(backend: WasmBackendLike, t: tf.TensorInfo): Float32Array {
  return new Float32Array(backend.wasm.HEAPU8.buffer, backend.dataIdMap.get(t.dataId).memoryOffset, tf.util.sizeFromShape(t.shape));
}

/**
 * Registers `name` on the wasm backend (once). `run` gets the backend, the inputs and the attributes, allocates its
 * outputs with backend.makeOutput and returns them.
 */
export function registerHeapKernel<A>(name: string, run: (backend: WasmBackendLike, inputs: Record<string, tf.TensorInfo>, attrs: A) => tf.TensorInfo | tf.TensorInfo[]): void {
  if (tf.getKernel(name, 'wasm')) return;
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: (({ inputs, backend, attrs }: { inputs: Record<string, tf.TensorInfo>; backend: WasmBackendLike; attrs: A }) => run(backend, inputs, attrs)) as unknown as tf.KernelFunc,
  });
}
