/**
 * Attention on the CPU path's threads ('WebiftAttentionCpu' and its gradient, on tfjs-wasm): the forward and
 * backward in src/kernels/gemm/attention.c, run by the GEMM pool over whole (batch row, kv head) items. It replaces
 * tfjs's composed chain (two batched matmuls, scale, add, softmax, and their gradients: single-threaded elementwise
 * passes over (B, H, T, S) scores) with chunks of 32 query rows whose scores never leave the thread's scratch. The
 * forward keeps each row's max and 1/sum (B, H, T, 2) for the backward, which recomputes the probabilities.
 * Same semantics as ops.attention with an additive bias (read through broadcast strides), GQA and softcap; the
 * oracle is reference.ts (shared with the WGSL kernel). Null where the pool is not running (other backends,
 * WEBIFT_THREADS=1) or the bias does not broadcast along keys.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gemmPool } from '../gemm/register';
import { SMALL_FLOPS } from '../gemm/matmul';
import type { GemmPool } from '../gemm/pool';
import { heapF32, registerHeapKernel, type WasmBackendLike } from '../wasm-heap';
import { biasStrides } from './bias-strides';

const FWD = 'WebiftAttentionCpu';
const BWD = 'WebiftAttentionCpuGrad';
const POOLED = 'WebiftAttentionCpuPooled';
/** attention.c's QC (query rows per chunk) and the attn_args layout: 23 int32 words, then scale and cap as f32. */
const QC = 32;
const INT_WORDS = 23;
/** Floats of each thread's scratch where gemm.c's block() packs strips of B: KC (256) rows of 8. */
const PACK = 256 * 8;

interface Attrs {
  scale: number;
  cap: number;
  /** The bias's element strides along (B, H, T); its key axis is contiguous. */
  strides: number[];
}

/** The pooled forward's cache: K and V byte offsets in the pool, kv heads, slots in use, floats between kv heads. */
interface PooledAttrs extends Attrs {
  kAt: number;
  vAt: number;
  Hkv: number;
  S: number;
  kvStride: number;
}

/** Copies tensors into the pool's arena and lays out the outputs, the per-thread scratch and the args block. */
function stage(pool: GemmPool, backend: WasmBackendLike, ins: tf.TensorInfo[], outSizes: number[], scratchFloats: number): { ins: number[]; outs: number[]; scratch: number; args: number } {
  pool.reset();
  const inAt = ins.map((t) => pool.alloc(tf.util.sizeFromShape(t.shape)));
  const outs = outSizes.map((n) => pool.alloc(n));
  const scratch = pool.alloc(scratchFloats * pool.threads);
  const args = pool.alloc(INT_WORDS + 2);
  ins.forEach((t, i) => pool.view(inAt[i], tf.util.sizeFromShape(t.shape)).set(heapF32(backend, t)));
  return { ins: inAt, outs, scratch, args };
}

function writeArgs(pool: GemmPool, at: number, words: number[], scale: number, cap: number): void {
  new Int32Array(pool.memory.buffer, at, INT_WORDS).set(words);
  new Float32Array(pool.memory.buffer, at + INT_WORDS * 4, 2).set([scale, cap]);
}

function dims(q: tf.TensorInfo, k: tf.TensorInfo): { B: number; H: number; T: number; D: number; Hkv: number; S: number; g: number } {
  const [B, H, T, D] = q.shape;
  const [, Hkv, S] = k.shape;
  return { B, H, T, D, Hkv, S, g: H / Hkv };
}

/** Threads for a product of this many flops: one below SMALL_FLOPS (decode), where waking helpers costs more. */
function threadsFor(flops: number, pool: GemmPool): number {
  return flops < SMALL_FLOPS ? 1 : pool.threads;
}

/**
 * Forward work items per (batch row, kv head): 1 when the heads alone split evenly enough over the threads, else as
 * many as threads, so that one prompt's 3 kv heads do not leave a thread idle a third of the time. Each part packs Kᵀ
 * again, so only when a head has at least 2 chunks of query rows per part.
 */
export function partsFor(heads: number, rows: number, threads: number): number {
  if (threads <= 1 || heads % threads === 0 || heads >= 4 * threads) return 1;
  return rows >= 2 * QC * threads ? threads : 1;
}

/** Where the forward reads K and V: tensors to copy into the arena, or a cache already in the pool's memory. */
type ForwardKV = { k: tf.TensorInfo; v: tf.TensorInfo } | { kAt: number; vAt: number; kvStride: number };

/**
 * attention.c's forward for q (B, H, T, D) against S slots of K and V (Hkv heads) on `threads` threads; the arena
 * offsets of O (B, H, T, D) and the per-row stats (B, H, T, 2).
 */
function forwardOnPool(pool: GemmPool, backend: WasmBackendLike, q: tf.TensorInfo, bias: tf.TensorInfo, kv: ForwardKV, Hkv: number, S: number, attrs: Attrs, threads: number): { out: number; stats: number } {
  const [B, H, T, D] = q.shape;
  const n = B * H * T, g = H / Hkv, scratch = D * S + QC * S + PACK;
  const staged = 'k' in kv;
  const st = stage(pool, backend, staged ? [q, kv.k, kv.v, bias] : [q, bias], [n * D, n * 2], scratch);
  const [qAt, kAt, vAt, biasAt] = staged ? st.ins : [st.ins[0], kv.kAt, kv.vAt, st.ins[1]];
  const [sb, sh, stT] = attrs.strides;
  const parts = partsFor(B * Hkv, g * T, threads);
  writeArgs(pool, st.args, [qAt, kAt, vAt, biasAt, st.outs[0], st.outs[1], 0, 0, 0, 0, st.scratch, scratch, B, Hkv, g, T, S, D, sb, sh, stT, staged ? 0 : kv.kvStride, parts], attrs.scale, attrs.cap);
  pool.attention(false, st.args, B * Hkv * parts, threads);
  return { out: st.outs[0], stats: st.outs[1] };
}

function register(): void {
  registerHeapKernel<Attrs>(FWD, (backend, inputs, attrs) => {
    const pool = gemmPool()!;
    const { q, k, v, bias } = inputs;
    const { B, H, T, D, Hkv, S } = dims(q, k);
    const n = B * H * T;
    const at = forwardOnPool(pool, backend, q, bias, { k, v }, Hkv, S, attrs, threadsFor(4 * n * S * D, pool));
    const out = backend.makeOutput([B, H, T, D], 'float32');
    const stats = backend.makeOutput([B, H, T, 2], 'float32');
    heapF32(backend, out).set(pool.view(at.out, n * D));
    heapF32(backend, stats).set(pool.view(at.stats, n * 2));
    return [out, stats];
  });
  registerHeapKernel<PooledAttrs>(POOLED, (backend, inputs, attrs) => {
    const pool = gemmPool()!;
    const { q, bias } = inputs;
    const [B, H, T, D] = q.shape;
    const n = B * H * T;
    // A long cache is read from memory: from a quarter of SMALL_FLOPS both threads help (1.25x at 1,536 slots of
    // SmolLM2-135M, 3 kv heads split 2:1), below it a helper's wake costs what it saves.
    const at = forwardOnPool(pool, backend, q, bias, attrs, attrs.Hkv, attrs.S, attrs, threadsFor(16 * n * attrs.S * D, pool));
    const out = backend.makeOutput([B, H, T, D], 'float32');
    heapF32(backend, out).set(pool.view(at.out, n * D));
    return out;
  });
  registerHeapKernel<Attrs>(BWD, (backend, inputs, attrs) => {
    const pool = gemmPool()!;
    const { q, k, v, bias, out, stats, dy } = inputs;
    const { B, H, T, D, Hkv, S, g } = dims(q, k);
    const n = B * H * T;
    const kv = B * Hkv * S * D;
    const scratch = 2 * D * S + 3 * QC * S + PACK;
    const st = stage(pool, backend, [q, k, v, bias, out, stats, dy], [n * D, kv, kv], scratch);
    const [qa, ka, va, ba, oa, sa, da] = st.ins;
    const [sb, sh, stT] = attrs.strides;
    writeArgs(pool, st.args, [qa, ka, va, ba, oa, sa, da, ...st.outs, st.scratch, scratch, B, Hkv, g, T, S, D, sb, sh, stT, 0, 1], attrs.scale, attrs.cap);
    pool.attention(true, st.args, B * Hkv, threadsFor(8 * n * S * D, pool));
    const dq = backend.makeOutput([B, H, T, D], 'float32');
    const dk = backend.makeOutput([B, Hkv, S, D], 'float32');
    const dv = backend.makeOutput([B, Hkv, S, D], 'float32');
    heapF32(backend, dq).set(pool.view(st.outs[0], n * D));
    heapF32(backend, dk).set(pool.view(st.outs[1], kv));
    heapF32(backend, dv).set(pool.view(st.outs[2], kv));
    return [dq, dk, dv];
  });
}

export interface CpuAttentionOptions {
  scale: number;
  softcap?: number;
  /** Additive bias broadcastable to (B, H, T, S), full along S. */
  bias: tf.Tensor;
}

/**
 * q (B, H, T, D); k, v (B, Hkv, S, D) -> (B, H, T, D) on the pool's threads, with gradients to q, k and v. Null
 * where it does not apply (see the header); the caller then runs the composed ops.
 */
export function attentionCpu(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, opts: CpuAttentionOptions): tf.Tensor | null {
  const attrs = attrsFor(q, k, v, opts);
  if (!attrs) return null;
  const bias = opts.bias;
  if (!tf.engine().isTapeOn()) {
    const { out, stats } = runForward(attrs, q, k, v, bias);
    stats.dispose();
    return out;
  }
  const f = tf.customGrad(((q2: tf.Tensor, k2: tf.Tensor, v2: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
    const { out, stats } = runForward(attrs, q2, k2, v2, bias);
    save([q2, k2, v2, bias, out, stats]);
    return { value: out, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => runBackward(attrs, saved, dy) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(q, k, v) as tf.Tensor;
}

/** What attentionPooled reads the cache from (kv-pool.ts's PooledKV). */
export interface PooledCache {
  B: number;
  Hkv: number;
  D: number;
  kAt: number;
  vAt: number;
  headStride: number;
}

/**
 * q (B, H, T, D) against the first S slots of a cache in the pool's memory -> (B, H, T, D), no gradient (generation
 * runs without a tape). Null where the CPU kernel would not run (attentionCpu's conditions) or a tape is on.
 */
export function attentionPooled(q: tf.Tensor, kv: PooledCache, S: number, opts: CpuAttentionOptions): tf.Tensor | null {
  if (tf.getBackend() !== 'wasm' || !gemmPool() || tf.engine().isTapeOn()) return null;
  if (q.dtype !== 'float32' || opts.bias.dtype !== 'float32' || q.rank !== 4) return null;
  const [B, H, T, D] = q.shape as number[];
  if (B !== kv.B || D !== kv.D || H % kv.Hkv !== 0 || S * D > kv.headStride) throw new Error(`attentionPooled: q [${q.shape}] with ${S} slots does not fit the cache [${kv.B}, ${kv.Hkv}, ${kv.headStride / kv.D}, ${kv.D}]`);
  const strides = biasStrides(opts.bias.shape, [B, H, T, S]);
  if (!strides || strides[3] !== 1) return null;
  register();
  const attrs: PooledAttrs = { scale: opts.scale, cap: opts.softcap ?? 0, strides: strides.slice(0, 3), kAt: kv.kAt, vAt: kv.vAt, Hkv: kv.Hkv, S, kvStride: kv.headStride };
  return tf.engine().runKernel(POOLED, { q, bias: opts.bias }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** The kernels' attributes, registering them; null where they do not apply (see the header). */
function attrsFor(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, opts: CpuAttentionOptions): tf.NamedAttrMap | null {
  if (tf.getBackend() !== 'wasm' || !gemmPool()) return null;
  if ([q, k, v, opts.bias].some((t) => t.dtype !== 'float32') || q.rank !== 4 || k.rank !== 4) return null;
  const [B, H, T] = q.shape as number[];
  const [, Hkv, S] = k.shape as number[];
  const strides = biasStrides(opts.bias.shape, [B, H, T, S]);
  if (!strides || strides[3] !== 1 || H % Hkv !== 0) return null;
  register();
  return { scale: opts.scale, cap: opts.softcap ?? 0, strides: strides.slice(0, 3) } as unknown as tf.NamedAttrMap;
}

function runForward(attrs: tf.NamedAttrMap, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, bias: tf.Tensor): { out: tf.Tensor; stats: tf.Tensor } {
  const [out, stats] = tf.engine().runKernel(FWD, { q, k, v, bias }, attrs) as tf.Tensor[];
  return { out, stats };
}

/** [dq, dk, dv] from [q, k, v, bias, out, stats] and dy. */
function runBackward(attrs: tf.NamedAttrMap, [q, k, v, bias, out, stats]: tf.Tensor[], dy: tf.Tensor): tf.Tensor[] {
  return tf.engine().runKernel(BWD, { q, k, v, bias, out, stats, dy }, attrs) as tf.Tensor[];
}

/**
 * The forward with no gradient of its own, for hand-written block backwards (model/fused-block.ts): the output and
 * the per-row stats (B, H, T, 2) that attentionCpuBackward reads. Null where attentionCpu would be.
 */
export function attentionCpuForward(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, opts: CpuAttentionOptions): { out: tf.Tensor; stats: tf.Tensor } | null {
  const attrs = attrsFor(q, k, v, opts);
  return attrs && runForward(attrs, q, k, v, opts.bias);
}

/** [dq, dk, dv] of attentionCpuForward's product, from its output and stats. */
export function attentionCpuBackward(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, out: tf.Tensor, stats: tf.Tensor, dy: tf.Tensor, opts: CpuAttentionOptions): tf.Tensor[] {
  const attrs = attrsFor(q, k, v, opts);
  if (!attrs) throw new Error('attentionCpuBackward: the CPU attention kernel does not run here');
  return runBackward(attrs, [q, k, v, opts.bias, out, stats], dy);
}
