/**
 * One layer's KV cache kept in the GEMM pool's memory (the CPU path's threads: Node, or a cross-origin-isolated
 * page), with room for more slots, so that a decode step appends its new key and value in place and the attention
 * kernel (attention.c) reads the cache where it lies.
 * Why: as tensors, every decode step concatenated each layer's cache into a new tensor (a copy of the whole cache)
 * and the attention kernel then copied it again into the pool's memory, because the pool's threads cannot read
 * tfjs-wasm's heap. Both grow with the context: at 1,536 slots of SmolLM2-135M they were 5.9 ms and most of 13.7 ms of
 * a 70 ms token.
 * Layout: K and V each (B, Hkv, cap, D), slot s of row (b, h) at ((b · Hkv + h) · cap + s) · D; the first `length`
 * slots are the cache, the rest spare. The block grows by half (at least 64 slots), copying the held slots, when a
 * write passes `cap`. It lives in the pool's resident region until dispose(); model/kv-cache.ts and
 * model/transformer.ts own it. Writes land at a slot the caller names, so a forward that fails half way leaves the
 * committed slots (those below the caller's count) as they were.
 * WEBIFT_POOLED_KV=0 (Node's environment) or the tfjs flag of that name keeps caches as tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { envVar } from '../../platform/env';
import { registerKernelFlag } from '../flags';
import { gemmPool } from '../gemm/register';
import type { GemmPool } from '../gemm/pool';
import { heapF32, type WasmBackendLike } from '../wasm-heap';

export const POOLED_KV_FLAG = 'WEBIFT_POOLED_KV';
registerKernelFlag(POOLED_KV_FLAG, () => envVar(POOLED_KV_FLAG) !== '0');

/** Slots a block grows by at least, and rounds its capacity to. */
const GROW_SLOTS = 64;
const roundSlots = (n: number) => Math.ceil(n / GROW_SLOTS) * GROW_SLOTS;

export class PooledKV {
  private disposed = false;

  private constructor(
    private readonly pool: GemmPool,
    readonly B: number,
    readonly Hkv: number,
    readonly D: number,
    /** Slots per (batch row, kv head). */
    public cap: number,
    /** Byte offsets of K and V in the pool's memory. */
    public kAt: number,
    public vAt: number,
  ) {}

  /** A block for `slots` slots, or null where the path is off (no pool, not wasm, the flag) or the room is not there. */
  static create(B: number, Hkv: number, D: number, slots: number): PooledKV | null {
    const pool = gemmPool();
    if (!pool || tf.getBackend() !== 'wasm' || !tf.env().getBool(POOLED_KV_FLAG)) return null;
    const cap = roundSlots(Math.max(1, slots));
    const pair = allocPair(pool, B * Hkv * cap * D);
    return pair && new PooledKV(pool, B, Hkv, D, cap, pair[0], pair[1]);
  }

  /** Floats per head row between (b, h) and the next: the attention kernel's kv stride. */
  get headStride(): number {
    return this.cap * this.D;
  }

  /**
   * Writes k and v (B, Hkv, T, D) at slots [at, at + T), growing the block first when they pass its end (the slots
   * below `at` are kept). Throws (nothing changed) when the pool cannot give the room.
   */
  write(k: tf.Tensor, v: tf.Tensor, at: number): void {
    this.live();
    const [B, Hkv, T, D] = k.shape as number[];
    if (B !== this.B || Hkv !== this.Hkv || D !== this.D || !tf.util.arraysEqual(k.shape, v.shape)) {
      throw new Error(`PooledKV.write: k [${k.shape}] / v [${v.shape}] do not fit a cache of [${this.B}, ${this.Hkv}, ·, ${this.D}]`);
    }
    if (at + T > this.cap) this.grow(roundSlots(Math.max(at + T, Math.ceil(this.cap * 1.5))), at);
    const backend = tf.backend() as unknown as WasmBackendLike;
    const mem = new Float32Array(this.pool.memory.buffer);
    for (const [t, base] of [[k, this.kAt], [v, this.vAt]] as const) {
      const src = heapF32(backend, t);
      for (let r = 0; r < B * Hkv; r++) mem.set(src.subarray(r * T * D, (r + 1) * T * D), base / 4 + (r * this.cap + at) * D);
    }
  }

  /** A new block of batch rows `rows` (repeats allowed: beam search), the first `length` slots copied. */
  select(rows: number[], length: number): PooledKV {
    this.live();
    const pair = allocPair(this.pool, rows.length * this.Hkv * this.cap * this.D);
    if (!pair) throw new Error('PooledKV.select: the GEMM pool has no room for the reordered KV cache');
    const mem = new Float32Array(this.pool.memory.buffer);
    const row = this.Hkv * this.cap * this.D;
    for (let i = 0; i < rows.length; i++) {
      for (const [from, to] of [[this.kAt, pair[0]], [this.vAt, pair[1]]]) {
        for (let h = 0; h < this.Hkv; h++) {
          const s = from / 4 + rows[i] * row + h * this.cap * this.D;
          mem.copyWithin(to / 4 + i * row + h * this.cap * this.D, s, s + length * this.D);
        }
      }
    }
    return new PooledKV(this.pool, rows.length, this.Hkv, this.D, this.cap, pair[0], pair[1]);
  }

  /** The first `length` slots as tensors (B, Hkv, length, D). */
  toTensors(length: number): { k: tf.Tensor4D; v: tf.Tensor4D } {
    this.live();
    const read = (at: number) => {
      const out = new Float32Array(this.B * this.Hkv * length * this.D);
      const mem = new Float32Array(this.pool.memory.buffer);
      for (let r = 0; r < this.B * this.Hkv; r++) out.set(mem.subarray(at / 4 + r * this.cap * this.D, at / 4 + (r * this.cap + length) * this.D), r * length * this.D);
      return tf.tensor4d(out, [this.B, this.Hkv, length, this.D]);
    };
    return { k: read(this.kAt), v: read(this.vAt) };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const n = this.B * this.Hkv * this.cap * this.D;
    this.pool.freeResident(this.kAt, n);
    this.pool.freeResident(this.vAt, n);
  }

  private live(): void {
    if (this.disposed) throw new Error('PooledKV: used after dispose');
  }

  /** Moves to a block of `cap` slots, keeping slots [0, keep). */
  private grow(cap: number, keep: number): void {
    const pair = allocPair(this.pool, this.B * this.Hkv * cap * this.D);
    if (!pair) throw new Error(`PooledKV: the GEMM pool has no room to grow the KV cache to ${cap} slots`);
    const mem = new Float32Array(this.pool.memory.buffer);
    for (const [from, to] of [[this.kAt, pair[0]], [this.vAt, pair[1]]]) {
      for (let r = 0; r < this.B * this.Hkv; r++) mem.copyWithin(to / 4 + r * cap * this.D, from / 4 + r * this.cap * this.D, from / 4 + (r * this.cap + keep) * this.D);
    }
    const old = this.B * this.Hkv * this.cap * this.D;
    this.pool.freeResident(this.kAt, old);
    this.pool.freeResident(this.vAt, old);
    [this.cap, this.kAt, this.vAt] = [cap, pair[0], pair[1]];
  }
}

/** Two resident blocks of n floats each, or null (none kept) when the pool's memory cannot grow to hold them. */
function allocPair(pool: GemmPool, n: number): [number, number] | null {
  const k = pool.tryAllocResident(n);
  if (k === null) return null;
  const v = pool.tryAllocResident(n);
  if (v === null) pool.freeResident(k, n);
  return v === null ? null : [k, v];
}
