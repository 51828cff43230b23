/**
 * Puts the threaded GEMM behind tfjs-wasm's BatchMatMul. tfjs-backend-wasm runs its matmuls on one thread in Node
 * (and in a page without cross-origin isolation), and sends only untransposed batch-1 products to XNNPACK; every
 * other product (each backward one) goes to a scalar blocked loop. This kernel takes every f32 product, copies the
 * operands from the tfjs heap into the pool's shared memory, runs it on all threads, and copies the result back.
 *
 * Registered when the wasm backend is chosen (platform's addBackendSetup), so the backend line reports the thread
 * count. WEBIFT_THREADS=1 (or no shared memory) leaves tfjs's own kernel in place. Shapes the pool does not take
 * (a batch broadcast other than 1-to-n, non-f32) go to tfjs's kernel, and so do small untransposed single products,
 * which XNNPACK runs well on one thread.
 */
import * as tf from '@tensorflow/tfjs-core';
import { addBackendSetup } from '../../platform/backend';
import { kernelThreadCount, sharedMemoryUnavailable } from '../../platform/threads';
import { panelFloats, poolMatmul, poolMatmulKept, SMALL_FLOPS, type MatmulShape } from './matmul';
import { GemmPool } from './pool';

interface WasmBackendLike {
  dataIdMap: { get(id: unknown): { memoryOffset: number }; has(id: unknown): boolean };
  wasm: { HEAPU8: Uint8Array };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/**
 * Weights kept in the pool's memory for decode. A product of a few rows with a large untransposed B (a linear's
 * weight at generation time) is bound by reading B once; copying B over each call would read it twice, so such
 * products stayed on XNNPACK's single thread. A B seen twice in such a product is copied into the pool once and kept
 * (tensors are immutable, so its bytes cannot change while its dataId lives); the product then runs on all threads.
 * The copy is dropped when tfjs frees the data. At most KEPT_LIMIT bytes are kept; past that, XNNPACK runs.
 */
const KEPT_LIMIT = 1 << 30;
const KEPT_MIN = 1 << 16;
const kept = new Map<object, { at: number; n: number }>();
const seen = new WeakSet<object>();
let keptBytes = 0;
let disposeHooked = false;

/** Bytes of weights kept in the pool's memory (for tests and the bench). */
export function keptWeightBytes(): number {
  return keptBytes;
}

function hookDispose(backend: WasmBackendLike, p: GemmPool): void {
  if (disposeHooked) return;
  disposeHooked = true;
  const original = backend.disposeData.bind(backend);
  backend.disposeData = (dataId: object, force?: boolean) => {
    const freed = original(dataId, force);
    const k = kept.get(dataId);
    if (k && !backend.dataIdMap.has(dataId)) {
      kept.delete(dataId);
      keptBytes -= k.n * 4;
      if (pool === p) p.release(k.at, k.n);
    }
    return freed;
  };
}

/** B's offset in the pool's memory when it is (or now becomes) kept; null to run the product elsewhere. */
function keptOffset(p: GemmPool, backend: WasmBackendLike, b: tf.TensorInfo, n: number): number | null {
  const have = kept.get(b.dataId);
  if (have) return have.at;
  if (!seen.has(b.dataId)) {
    seen.add(b.dataId);
    return null;
  }
  const [K, N] = b.shape.slice(-2);
  const size = panelFloats(K, N);
  if (keptBytes + size * 4 > KEPT_LIMIT) return null;
  hookDispose(backend, p);
  const at = p.keep(size);
  p.reset();
  const src = p.alloc(n);
  p.view(src, n).set(f32(backend, b, n));
  p.packPanels(src, at, K, N);
  kept.set(b.dataId, { at, n: size });
  keptBytes += size * 4;
  return at;
}

let pool: GemmPool | null = null;
let bypass = false;

/** Runs fn with tfjs-wasm's own BatchMatMul (for benchmarks that compare the two in one process). */
export function withTfjsMatmul<T>(fn: () => T): T {
  bypass = true;
  try {
    return fn();
  } finally {
    bypass = false;
  }
}

/** The pool behind the wasm matmul, or null when tfjs's own kernel runs. */
export function gemmPool(): GemmPool | null {
  return pool;
}

function f32(backend: WasmBackendLike, t: tf.TensorInfo, n: number): Float32Array {
  const off = backend.dataIdMap.get(t.dataId).memoryOffset;
  return new Float32Array(backend.wasm.HEAPU8.buffer, off, n);
}

function shapeOf(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): { s: MatmulShape; outShape: number[] } | null {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = outerA.reduce((x, y) => x * y, 1);
  const batchB = outerB.reduce((x, y) => x * y, 1);
  let outer: number[];
  if (batchA === batchB && outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i])) outer = outerA;
  else if (batchB === 1 && outerB.length <= outerA.length) outer = outerA;
  else if (batchA === 1 && outerA.length <= outerB.length) outer = outerB;
  else return null;
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const Kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  if (K !== Kb) return null; // tfjs's kernel raises its own message
  const batch = Math.max(batchA, batchB);
  return { s: { batch, batchA, batchB, M, N, K, transposeA, transposeB }, outShape: [...outer, M, N] };
}

function install(p: GemmPool): void {
  const original = tf.getKernel('BatchMatMul', 'wasm');
  if (!original) throw new Error('tfjs-wasm has no BatchMatMul kernel to replace');
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    kernelFunc: ((args: { inputs: { a: tf.TensorInfo; b: tf.TensorInfo }; backend: WasmBackendLike; attrs: { transposeA: boolean; transposeB: boolean } }) => {
      const { a, b } = args.inputs;
      const shape = a.dtype === 'float32' && b.dtype === 'float32' ? shapeOf(a, b, args.attrs.transposeA, args.attrs.transposeB) : null;
      // A small untransposed single product is XNNPACK's best case, and copying it out would cost more than it saves.
      // So is a product of a few rows (decode): copying the weight over would read it twice (113 MB a token for
      // SmolLM2's head), for a product that is bound by reading it once.
      const plain = shape && shape.s.batch === 1 && !shape.s.transposeA && !shape.s.transposeB;
      const runOriginal = () => (original.kernelFunc as unknown as (x: typeof args) => tf.TensorInfo)(args);
      if (!shape || bypass || pool !== p) return runOriginal();
      const { s, outShape } = shape;
      if (plain && s.M < 16 && s.K * s.N >= KEPT_MIN) {
        const bAt = keptOffset(p, args.backend, b, s.K * s.N);
        if (bAt === null) return runOriginal();
        const out = args.backend.makeOutput(outShape, 'float32');
        poolMatmulKept(p, f32(args.backend, a, s.M * s.K), bAt, f32(args.backend, out, s.M * s.N), s.M, s.N, s.K);
        return out;
      }
      if (plain && (s.M < 16 || 2 * s.M * s.N * s.K < SMALL_FLOPS)) return runOriginal();
      const out = args.backend.makeOutput(outShape, 'float32');
      // Read the heap views after makeOutput: an allocation may have grown (and replaced) the heap's buffer.
      poolMatmul(p, f32(args.backend, a, s.batchA * s.M * s.K), f32(args.backend, b, s.batchB * s.K * s.N), f32(args.backend, out, s.batch * s.M * s.N), s);
      return out;
    }) as unknown as tf.KernelFunc,
  });
}

addBackendSetup('wasm', async (choice) => {
  const threads = await kernelThreadCount();
  const why = sharedMemoryUnavailable();
  if (threads === 1 || why) {
    choice.cpuThreads = 1;
    return why ? `1 thread: ${why}` : '1 thread';
  }
  if (!pool) {
    pool = await GemmPool.create(threads);
    install(pool);
  }
  choice.cpuThreads = pool.threads;
  return `${pool.threads} threads`;
});
