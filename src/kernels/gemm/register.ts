/**
 * Puts the threaded GEMM behind tfjs-wasm's BatchMatMul. tfjs-backend-wasm runs its matmuls on one thread in Node
 * (and in a page without cross-origin isolation), and sends only untransposed batch-1 products to XNNPACK; every
 * other product (each backward one) goes to a scalar blocked loop. This kernel takes every f32 product, copies the
 * operands from the tfjs heap into the pool's shared memory, runs it on all threads, and copies the result back.
 *
 * Registered when the wasm backend is chosen (platform's addBackendSetup), so the backend line reports the thread
 * count. WEBIFT_THREADS=1 (or no shared memory) leaves tfjs's own kernel in place. Shapes the pool does not take
 * (a batch broadcast other than 1-to-n, non-f32) go to tfjs's kernel, and so do small untransposed single products,
 * which XNNPACK runs well on one thread. Products of a few rows against a large weight (decode) run on the pool
 * against the weight's resident panels (resident.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { addBackendSetup } from '../../platform/backend';
import { kernelThreadCount, sharedMemoryUnavailable } from '../../platform/threads';
import { heapF32, type WasmBackendLike } from '../wasm-heap';
import { poolMatmul, SMALL_FLOPS, type MatmulShape } from './matmul';
import { GemmPool } from './pool';
import { FEW_ROWS, fewRowProduct } from './resident';


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
      const tfjs = () => (original.kernelFunc as unknown as (x: typeof args) => tf.TensorInfo)(args);
      if (!shape || bypass || pool !== p) return tfjs();
      const { s, outShape } = shape;
      // Few rows against one weight (decode): on the pool against the weight's resident panels, when it takes them.
      if (s.batchB === 1 && !s.transposeA && !s.transposeB && s.batch * s.M < FEW_ROWS) {
        const out = fewRowProduct(p, args.backend, a, b, s.batch * s.M, s.K, s.N, outShape);
        if (out) return out;
      }
      // A small untransposed single product is XNNPACK's best case, and copying it out would cost more than it saves.
      // So is a product of a few rows whose weight has no resident panels: copying the weight over would read it
      // twice (113 MB a token for SmolLM2's head), for a product that is bound by reading it once.
      const plain = s.batch === 1 && !s.transposeA && !s.transposeB;
      if (plain && (s.M < FEW_ROWS || 2 * s.M * s.N * s.K < SMALL_FLOPS)) return tfjs();
      const out = args.backend.makeOutput(outShape, 'float32');
      // Read the heap views after makeOutput: an allocation may have grown (and replaced) the heap's buffer.
      poolMatmul(p, heapF32(args.backend, a), heapF32(args.backend, b), heapF32(args.backend, out), s);
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
