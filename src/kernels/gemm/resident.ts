/**
 * Few-row products (decode: one row a sequence, or a handful of beams) on the GEMM pool, against weights kept resident
 * in the pool's memory. Such a product reads each weight once and does two flops a float, so it is bound by memory
 * bandwidth. tfjs-wasm sends it to XNNPACK on one thread; copying the weight into the pool per call would read it
 * twice. So the first few-row product against a weight packs it once into 16-column panels in the pool's memory
 * (gemm.c's pack_panels), and every later one streams the panels on all threads (gemv_panels). Measured on this
 * project's 2-core AMD EPYC: one thread reads them at 28 GB/s, two at 50; XNNPACK reads at 20-26.
 *
 * Memory: the same as before. XNNPACK keeps a packed copy of every weight it has multiplied (its fully-connected
 * operator, cached on the weight's tensor id until the tensor is disposed); the panels take that copy's place, in the
 * pool's memory instead of tfjs's heap. A panel block is freed when tfjs frees the weight's data (the backend's
 * disposeData, which we wrap), and a weight whose panels do not fit (the pool's memory cannot grow) runs where it ran
 * before. Products of more rows (training, prefill) never create panels.
 *
 * Keyed on the tensor's dataId and its [K, N] view: tfjs tensors are immutable, a Variable's assign takes a new dataId,
 * and our kernels write only their own outputs, so panels never go stale while the dataId lives.
 * WEBIFT_RESIDENT_WEIGHTS=0 (Node's environment) or the tfjs flag of that name turns the path off, for A/B runs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerKernelFlag } from '../flags';
import { heapF32, type WasmBackendLike } from '../wasm-heap';
import { PANEL, type GemmPool } from './pool';

export const RESIDENT_FLAG = 'WEBIFT_RESIDENT_WEIGHTS';
const nodeEnv = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
registerKernelFlag(RESIDENT_FLAG, () => nodeEnv?.WEBIFT_RESIDENT_WEIGHTS !== '0');

/** Products with fewer rows than this (all batches together) take the panel path. */
export const FEW_ROWS = 16;
/** Weights under this many floats stay with XNNPACK (256 KB: it runs them in tens of microseconds on one thread). */
export const RESIDENT_MIN_FLOATS = 1 << 16;
/** Weights under this many floats run their panels on one thread: waking the helpers would cost what they save. */
const THREADED_MIN_FLOATS = 1 << 18;
/** Floats of a weight copied into the arena at a time for packing (4 MB). */
const PACK_SLICE_FLOATS = 1 << 20;

/** A block of the pool's resident region, made from a tensor's data and freed with it. */
interface Held {
  at: number;
  floats: number;
  /** What the block holds, for lookups: a panel layout (`panels KxN`), or a quantized weight's parts (quant-rows.ts). */
  key: string;
}

interface DisposingBackend extends WasmBackendLike {
  disposeData(dataId: object, force?: boolean): boolean;
  move(dataId: object, ...rest: unknown[]): void;
  dispose(): void;
}

/** Resident blocks by the dataId they were made from (one entry per key), in the process's one pool (register.ts). */
const held = new Map<object, Held[]>();
const hooked = new WeakSet<object>();

function release(pool: GemmPool, dataId: object): void {
  for (const h of held.get(dataId) ?? []) pool.freeResident(h.at, h.floats);
  held.delete(dataId);
}

/** Wraps the backend's data lifecycle once, so resident blocks go when the data they were made from goes. */
function hook(pool: GemmPool, backend: DisposingBackend): void {
  if (hooked.has(backend)) return;
  hooked.add(backend);
  const disposeData = backend.disposeData.bind(backend);
  backend.disposeData = (dataId: object, force?: boolean) => {
    const freed = disposeData(dataId, force);
    if (held.has(dataId) && !backend.dataIdMap.has(dataId)) release(pool, dataId);
    return freed;
  };
  const move = backend.move.bind(backend);
  backend.move = (dataId: object, ...rest: unknown[]) => {
    release(pool, dataId); // new bytes under an old id
    return move(dataId, ...rest);
  };
  const dispose = backend.dispose.bind(backend);
  backend.dispose = () => {
    for (const id of [...held.keys()]) release(pool, id);
    return dispose();
  };
}

/**
 * The offset of the resident block `key` made from `dataId`'s data: found, or allocated (`floats`) and filled by
 * `fill(at)` on first use. Null when the pool's memory cannot hold it, with nothing left allocated: the caller then
 * runs the product where it ran before.
 */
export function residentBlock(pool: GemmPool, backend: WasmBackendLike, dataId: object, key: string, floats: number, fill: (at: number) => void): number | null {
  const list = held.get(dataId);
  const found = list?.find((h) => h.key === key);
  if (found) return found.at;
  hook(pool, backend as DisposingBackend);
  const at = pool.tryAllocResident(floats);
  if (at === null) return null;
  try {
    fill(at);
  } catch {
    pool.freeResident(at, floats);
    return null;
  }
  held.set(dataId, [...(list ?? []), { at, floats, key }]);
  return at;
}

/**
 * data, a [K, N] table (in tfjs's heap), into 16-column panels at `at` in the pool (packPanels). A slice of rows at a
 * time (`sliceRows`, by default 4 MB's worth), so the copy's room in the arena (which the pool's memory keeps once
 * grown) stays small: SmolLM2's head whole would take 113 MB.
 */
export function packRows(pool: GemmPool, data: Float32Array, K: number, N: number, at: number, sliceRows = Math.floor(PACK_SLICE_FLOATS / N)): void {
  const rows = Math.max(1, Math.min(K, sliceRows));
  pool.reset();
  const src = pool.alloc(rows * N);
  for (let k0 = 0; k0 < K; k0 += rows) {
    const k1 = Math.min(K, k0 + rows);
    pool.view(src, (k1 - k0) * N).set(data.subarray(k0 * N, k1 * N));
    pool.packPanels(src, K, N, at, k0, k1);
  }
}

/** The weight's panels, packed on first use; null when the pool's memory cannot hold them. */
function panelsOf(pool: GemmPool, backend: WasmBackendLike, b: tf.TensorInfo, K: number, N: number): number | null {
  return residentBlock(pool, backend, b.dataId as object, `panels ${K}x${N}`, Math.ceil(N / PANEL) * PANEL * K, (at) => packRows(pool, heapF32(backend, b), K, N, at));
}

/**
 * out = A . B for `rows` rows of A (contiguous [rows, K]) against B [K, N] on the pool, B's panels resident; null
 * (nothing allocated) when the path is off, B is too small or its panels do not fit.
 */
export function fewRowProduct(pool: GemmPool, backend: WasmBackendLike, a: tf.TensorInfo, b: tf.TensorInfo, rows: number, K: number, N: number, outShape: number[]): tf.TensorInfo | null {
  if (K * N < RESIDENT_MIN_FLOATS || rows >= FEW_ROWS || !tf.env().getBool(RESIDENT_FLAG)) return null;
  const w = panelsOf(pool, backend, b, K, N);
  if (w === null) return null;
  const ldc = Math.ceil(N / PANEL) * PANEL;
  let aAt: number;
  let cAt: number;
  try {
    pool.reset();
    aAt = pool.alloc(rows * K);
    cAt = pool.alloc(rows * ldc);
  } catch {
    return null;
  }
  const out = backend.makeOutput(outShape, 'float32');
  pool.view(aAt, rows * K).set(heapF32(backend, a));
  pool.gemvPanels(aAt, rows, K, w, N, cAt, ldc, K * N < THREADED_MIN_FLOATS ? 1 : pool.threads);
  // Views after makeOutput (it may grow tfjs's heap) and after the pool's allocations (they may grow the pool's).
  unpadRows(heapF32(backend, out), pool.view(cAt, rows * ldc), rows, N, ldc);
  return out;
}

/** dst [rows, N] = the first N columns of src [rows, ldc] (a panel product's output, padded to whole panels). */
export function unpadRows(dst: Float32Array, src: Float32Array, rows: number, N: number, ldc: number): void {
  if (ldc === N) dst.set(src);
  else for (let i = 0; i < rows; i++) dst.set(src.subarray(i * ldc, i * ldc + N), i * N);
}
