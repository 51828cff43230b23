/**
 * The heap module (heap.c, built by scripts/build-gemm-wasm.sh into heap-wasm.ts): kernels compiled to wasm SIMD
 * that run on tfjs-wasm's own memory, instantiated once per memory with that memory as its import, so a kernel
 * passes tensors' memoryOffsets and copies nothing. It imports a plain memory: platform/backend.ts runs tfjs-wasm's
 * build without threads (ours run in kernels/gemm). Null where the module cannot load (an engine without SIMD128, a
 * shared memory, a tfjs build that does not expose its memory) or the tfjs flag WEBIFT_HEAP_WASM is false (or
 * WEBIFT_HEAP_WASM=0 in Node's environment); the callers then keep their TypeScript loops, which the tests hold to
 * the same oracles. Measured in Node on this machine: the dropout mask at 0.39 ns an element against 12.4 for the
 * loop.
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerKernelFlag } from '../flags';
import { decodeBase64 } from '../gemm/pool';
import type { WasmBackendLike } from '../wasm-heap';
import { HEAP_WASM_BASE64 } from './heap-wasm';

export interface HeapKernels {
  dropout(x: number, y: number, x2: number, y2: number, n: number, seed: number, cut: number, scale: number): void;
  rms_fwd(x: number, w: number, y: number, rows: number, C: number, eps: number): void;
  rms_bwd(x: number, w: number, dy: number, dx: number, dw: number, acc: number, rows: number, C: number, eps: number): void;
  xent_rows(z: number, tgt: number, stats: number, dz: number, rows: number, V: number, scale: number): void;
  swiglu_fwd(g: number, u: number, y: number, n: number): void;
  swiglu_bwd(g: number, u: number, ds: number, du: number, dg: number, n: number): void;
}

export const HEAP_WASM_FLAG = 'WEBIFT_HEAP_WASM';
// WEBIFT_HEAP_WASM=0 in Node's environment turns it off too (for A/B runs of a whole training step).
const nodeEnv = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
registerKernelFlag(HEAP_WASM_FLAG, () => nodeEnv?.WEBIFT_HEAP_WASM !== '0');

const instances = new WeakMap<WebAssembly.Memory, HeapKernels | null>();

function instantiate(memory: WebAssembly.Memory): HeapKernels | null {
  try {
    const mod = new WebAssembly.Module(decodeBase64(HEAP_WASM_BASE64) as BufferSource);
    return new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as HeapKernels;
  } catch {
    return null;
  }
}

/** The heap kernels on `backend`'s memory, or null (see the header). */
export function heapKernels(backend: WasmBackendLike): HeapKernels | null {
  if (!tf.env().getBool(HEAP_WASM_FLAG)) return null;
  const w = backend.wasm as { asm?: { memory?: unknown }; wasmMemory?: unknown };
  const memory = w.asm?.memory ?? w.wasmMemory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  if (!instances.has(memory)) instances.set(memory, instantiate(memory));
  return instances.get(memory)!;
}

/** Byte offset of a tensor's data in the wasm memory. */
export function heapOffset(backend: WasmBackendLike, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}
