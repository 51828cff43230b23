/**
 * The ops the model calls: linear, RMS/Layer norm, activations, RoPE, attention. Plain tfjs compositions chosen
 * to avoid the silent traps in ENVIRONMENT.md (no transpose flags on the hot matmul, finite mask values, f32 RoPE).
 * Not here: training-specific custom gradients (train/ adds them); the quantized matmul is qmatmul.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gemmPool } from './gemm/register';
import { attentionWebGpu, FLASH_MIN_QUERIES, type CausalSpec } from './attention/attention';
import { attentionCpu, attentionPooled } from './attention/attention-cpu';
import { PooledKV } from './attention/kv-pool';
import { frozenMatmulWebGpu } from './frozen-matmul/frozen-matmul';
import { frozenMatmul, frozenMatmulGrad } from './qmatmul';
import { layerNormWebGpu } from './layernorm/layernorm';
import { rmsNormWebGpu } from './rmsnorm/rmsnorm';
import { rmsNormWasm } from './rmsnorm/rmsnorm-wasm';
import { swigluWasm } from './swiglu/swiglu-wasm';
import { ropeFused } from './rope/rope';
import type { WeightTensor } from './qtensor';
export { seededDropout, seededDropoutPair } from './dropout/dropout';
export { swigluWasmBackward } from './swiglu/swiglu-wasm';

/** Additive mask value. HF uses finfo.min; on webgpu that makes fully masked rows 0/0 = NaN (pitfall 1). */
export const MASK_VALUE = -1e9;

/** Swaps the last two axes (explicitly, so the following matmul runs without a transpose flag). */
function swapLast(t: tf.Tensor): tf.Tensor {
  const r = t.rank;
  const perm = [...Array(r).keys()];
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return tf.transpose(t, perm);
}

/**
 * True when matmuls run on our threaded GEMM (wasm with kernels/gemm): it reads a transposed A for free, packs a
 * transposed B on all threads, and runs a batch in one call, so the workarounds below for tfjs-wasm's slow
 * transposed and batched products are not needed.
 */
function gemmTakesFlags(): boolean {
  return gemmPool() !== null && tf.getBackend() === 'wasm';
}

/**
 * a (..., M, K) @ b (..., K, N) whose gradient uses only plain products: da = dy @ bᵀ, db = aᵀ @ dy with the
 * transposes materialised first. tfjs's own matMul gradient passes transpose flags, which on wasm run 12× slower
 * (measured: 780 ms vs 65 ms for 1024×1536·1536×576; ENVIRONMENT.md pitfall 5). Same forward numerics as matMul.
 */
export const mm: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
  save([a, b]); // through save(): customGrad disposes closure-captured tensors (pitfall 7)
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved;
      if (gemmTakesFlags()) return [tf.matMul(dy, sb, false, true), tf.matMul(sa, dy, true, false)];
      return [tf.matMul(dy, swapLast(sb)), tf.matMul(swapLast(sa), dy)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/**
 * Batched a (B, Hkv, M, K) @ b (B, Hkv, K, N). tfjs-wasm sends only 2-D products without transposes to XNNPACK; a
 * batched product runs its single-threaded loop, 4-15x slower at attention shapes (measured: [3, 768, 64] @
 * [3, 64, 256] in 146 ms batched, 3 x 10 ms as 2-D products). On wasm, each (b, h) pair is one 2-D `mm`.
 */
function bmm(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const [B, Hkv, M, K] = a.shape as number[];
  const N = b.shape[3]!;
  if (tf.getBackend() !== 'wasm' || B * Hkv === 1 || gemmTakesFlags()) return mm(a, b);
  const a2 = tf.reshape(a, [B * Hkv * M, K]);
  const b2 = tf.reshape(b, [B * Hkv * K, N]);
  const outs: tf.Tensor[] = [];
  for (let i = 0; i < B * Hkv; i++) outs.push(mm(tf.slice(a2, [i * M, 0], [M, K]), tf.slice(b2, [i * K, 0], [K, N])));
  return tf.reshape(tf.concat(outs, 0), [B, Hkv, M, N]);
}

/**
 * a @ b for a constant b (a frozen weight): the gradient flows to `a` only, so backprop skips the aᵀ @ dy product
 * that a frozen weight never uses (customGrad computes every input's gradient eagerly). b is captured, not created
 * here, so customGrad's disposal of captured intermediates does not touch it.
 */
function mmFrozenRight(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const f = tf.customGrad(((x: tf.Tensor) => ({
    // On webgpu, our tiled kernel reads b in place both ways (frozen-matmul/): no transposed copy for dy · bᵀ.
    value: frozenMatmulWebGpu(x, b) ?? tf.matMul(x, b),
    gradFunc: (dy: tf.Tensor) => frozenLinearGrad(dy, b),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(a) as tf.Tensor;
}

/** dy (N, out) @ Wᵀ -> (N, in) for a frozen weight W [in, out]: a linear's gradient to its input, without a tape. */
export function frozenLinearGrad(dy: tf.Tensor, w: WeightTensor): tf.Tensor {
  if (!(w instanceof tf.Tensor)) return frozenMatmulGrad(dy, w);
  return frozenMatmulWebGpu(dy, w, true) ?? (gemmTakesFlags() ? tf.matMul(dy, w, false, true) : tf.matMul(dy, swapLast(w)));
}

/**
 * table.gather(ids, axis) for a frozen table, kept off the gradient tape. A taped gather saves its input for a
 * backward it never needs, and on wasm that save was a full copy: 113 MB per step for SmolLM2's embedding. A
 * trainable table (full fine-tuning) takes the ordinary gather.
 */
export function frozenGather(table: tf.Tensor, ids: tf.Tensor, axis: 0 | 1 = 0): tf.Tensor {
  if (isTrainable(table)) return tf.gather(table, ids, axis);
  // The customGrad's only input is the table, which no trainable variable leads to, so backprop never visits it.
  const f = tf.customGrad(((t: tf.Tensor) => ({ value: tf.gather(t, ids, axis), gradFunc: () => tf.zerosLike(t) })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(table) as tf.Tensor;
}

/** Whether t is a trainable variable (full fine-tuning's weights, an adapter's tensors). */
export function isTrainable(t: tf.Tensor): boolean {
  return t instanceof tf.Variable && t.trainable;
}

/**
 * x [..., in] @ w [in, out] (+ b [out]). Weights are kept [in, out] so the matmul needs no transpose flag. A frozen
 * quantized or split weight is decoded block by block inside its own custom gradient (qmatmul.ts).
 */
export function linear(x: tf.Tensor, w: WeightTensor, b?: tf.Tensor | null): tf.Tensor {
  const inDim = x.shape[x.shape.length - 1];
  const lead = x.shape.slice(0, -1);
  const x2 = tf.reshape(x, [-1, inDim]); // (N, in)
  let y: tf.Tensor;
  if (!(w instanceof tf.Tensor)) y = frozenMatmul(x2, w);
  else if (isTrainable(w)) y = mm(x2, w);
  // No tape (generation, evaluation): a custom gradient would only add a scope per call, 210 per decoded token at 30
  // layers. webgpu keeps mmFrozenRight, which may route to a kernel of its own.
  else if (!tf.engine().isTapeOn() && tf.getBackend() !== 'webgpu') y = tf.matMul(x2, w);
  else y = mmFrozenRight(x2, w); // (N, out)
  if (b) y = tf.add(y, b);
  return tf.reshape(y, [...lead, w.shape[1]!]);
}

/** RMSNorm in f32: x * rsqrt(mean(x^2) + eps) * w, or * (1 + w) for Gemma. */
export function rmsNorm(x: tf.Tensor, w: tf.Tensor, eps: number, plusOne = false): tf.Tensor {
  const scale = plusOne ? tf.add(w, 1) : w;
  const fused = rmsNormWebGpu(x, scale, eps) ?? rmsNormWasm(x, scale, eps); // our WGSL kernel, or the heap loops on wasm
  if (fused) return fused;
  const ms = tf.mean(tf.square(x), -1, true);
  const normed = tf.mul(x, tf.rsqrt(tf.add(ms, eps)));
  return tf.mul(normed, plusOne ? tf.add(w, 1) : w);
}

/**
 * LayerNorm over the last axis with biased variance, as torch.nn.LayerNorm. Spelled out rather than tf.moments:
 * moments casts x to float32 even when it already is, and in tfjs 4.22 a same-dtype Cast breaks backprop (its
 * gradient receives a null dy), so LoRA on GPT-2 / BLOOM could not be trained. Same values as moments.
 */
export function layerNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const fused = layerNormWebGpu(x, w, b, eps); // our WGSL kernel on webgpu, else null
  if (fused) return fused;
  const centered = tf.sub(x, tf.mean(x, -1, true));
  const variance = tf.mean(tf.square(centered), -1, true);
  return tf.add(tf.mul(tf.div(centered, tf.sqrt(tf.add(variance, eps))), w), b);
}

export function silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

/** silu(gate) · up (SwiGLU's gate): one fused kernel on wasm for decode-sized rows, else the composed ops. */
export function swiglu(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  return swigluWasm(gate, up) ?? tf.mul(silu(gate), up);
}

/** GELU, tanh approximation (gelu_new, gelu_pytorch_tanh, BLOOM's gelu): 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))). */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

/**
 * RoPE cos/sin tables for given positions, computed in f32 on the host: angle[b,t,i] = pos[b,t] * invFreq[i],
 * duplicated to D (rotate_half layout). `tensors()` makes cos, sin shaped (B, 1, T, D) to broadcast over heads; it
 * can be called again (a recomputed layer needs fresh tensors once the forward's are freed).
 */
export function ropeHostTables(invFreq: Float32Array, positions: Int32Array, B: number, T: number): { tensors(): { cos: tf.Tensor4D; sin: tf.Tensor4D } } {
  const half = invFreq.length;
  const D = half * 2;
  const cos = new Float32Array(B * T * D);
  const sin = new Float32Array(B * T * D);
  for (let bt = 0; bt < B * T; bt++) {
    const p = positions[bt];
    for (let i = 0; i < half; i++) {
      // Math.fround mirrors torch's f32 product pos * inv_freq before cos/sin.
      const a = Math.fround(p * invFreq[i]);
      const c = Math.cos(a), s = Math.sin(a);
      cos[bt * D + i] = c; cos[bt * D + i + half] = c;
      sin[bt * D + i] = s; sin[bt * D + i + half] = s;
    }
  }
  return { tensors: () => ({ cos: tf.tensor4d(cos, [B, 1, T, D]), sin: tf.tensor4d(sin, [B, 1, T, D]) }) };
}

export function ropeTables(invFreq: Float32Array, positions: Int32Array, B: number, T: number): { cos: tf.Tensor4D; sin: tf.Tensor4D } {
  return ropeHostTables(invFreq, positions, B, T).tensors();
}

/**
 * x (B, H, T, D) rotated with HF's rotate_half convention: pairs (i, i + R/2) of the first R = cos.shape[3] dims
 * (R = D, or partial rotary as GPT-NeoX / Phi rotary_pct: the dims from R on pass through). On webgpu (f32) one WGSL
 * dispatch each way (kernels/rope), else tfjs ops.
 */
export function applyRope(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  const fused = ropeFused(x, cos, sin, 'half');
  if (fused) return fused;
  const D = x.shape[3]!, R = cos.shape[3]!;
  const [xr, pass] = R === D ? [x, null] : tf.split(x, [R, D - R], 3);
  const [x1, x2] = tf.split(xr, [R / 2, R / 2], 3);
  const rotated = tf.concat([tf.neg(x2), x1], 3);
  const out = tf.add(tf.mul(xr, cos), tf.mul(rotated, sin));
  return pass ? tf.concat([out, pass], 3) : out;
}

export interface AttentionOptions {
  /** Score scale, usually D^-0.5 (Gemma2: query_pre_attn_scalar^-0.5). */
  scale: number;
  /**
   * Additive bias broadcastable to (B, H, T, S): the causal/padding mask, ALiBi. A function is called only when the
   * bias is needed (not when `causal` goes to the WebGPU kernel).
   */
  bias: tf.Tensor | (() => tf.Tensor);
  /** The same causal/padding/window mask as positions: the WebGPU kernel reads it instead of building `bias`. */
  causal?: CausalSpec;
  /** Multiplies the scores before the bias is added: 0 where the bias replaces them (ChatGLM-6B's masked_fill). */
  keep?: tf.Tensor;
  /** Gemma2: s <- cap * tanh(s / cap), applied before the mask. */
  softcap?: number;
}

let flashAttentionOn = true;

/** Turns the WebGPU flash-attention kernel on or off (tests and the bench compare it with the composed ops). */
export function setFlashAttention(on: boolean): void {
  flashAttentionOn = on;
}

/**
 * A KV cache block for one layer in the GEMM pool's memory (attention/kv-pool.ts), or null where generation keeps
 * tensors: another backend, no pool, a tape on, the flag off, or attention kernels switched off (setFlashAttention).
 */
export function pooledKvCache(B: number, Hkv: number, D: number, slots: number): PooledKV | null {
  return flashAttentionOn && !tf.engine().isTapeOn() ? PooledKV.create(B, Hkv, D, slots) : null;
}

/** attention() with k and v the first S slots of a pooled cache; null where the kernel does not run (keep tensors). */
export function attentionOnPool(q: tf.Tensor, kv: PooledKV, S: number, opts: { scale: number; softcap?: number; bias: tf.Tensor | (() => tf.Tensor) }): tf.Tensor | null {
  if (!flashAttentionOn) return null;
  return attentionPooled(q, kv, S, { scale: opts.scale, softcap: opts.softcap, bias: typeof opts.bias === 'function' ? opts.bias() : opts.bias });
}

/**
 * Scaled dot-product attention. q (B, H, T, D); k, v (B, Hkv, S, D) with H a multiple of Hkv.
 * Each kv head serves g = H/Hkv consecutive query heads (HF repeat_kv), done without copying k/v: q is viewed as
 * (B, Hkv, g*T, D) so one batched matmul covers the group (ENVIRONMENT.md pitfall 9). Returns (B, H, T, D).
 */
export function attention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, opts: AttentionOptions): tf.Tensor {
  let built: tf.Tensor | null = null;
  const bias = () => (built ??= typeof opts.bias === 'function' ? opts.bias() : opts.bias);
  if (flashAttentionOn && !opts.keep) {
    // Our WGSL flash attention on webgpu (f32, D <= 256), else null; ChatGLM-6B's `keep` stays composed. Decode steps
    // (T = 1) stay composed on webgpu too: their scores are small, and a 16-row query tile would run mostly empty.
    if (q.shape[2]! >= FLASH_MIN_QUERIES) {
      const fused = attentionWebGpu(q, k, v, { scale: opts.scale, softcap: opts.softcap, ...(opts.causal ? { causal: opts.causal } : { bias: bias() }) });
      if (fused) return fused;
    }
    // On wasm with the GEMM pool: attention.c on its threads, the scores never leaving a 32-row chunk (decode steps
    // too: one engine call instead of ten); else null.
    const cpu = attentionCpu(q, k, v, { scale: opts.scale, softcap: opts.softcap, bias: bias() });
    if (cpu) return cpu;
  }
  const [B, H, T, D] = q.shape as number[];
  const Hkv = k.shape[1]!, S = k.shape[2]!;
  const g = H / Hkv;
  const qg = tf.reshape(q, [B, Hkv, g * T, D]);
  let s = tf.mul(bmm(qg, swapLast(k)), opts.scale); // (B, Hkv, g*T, S)
  if (opts.softcap) s = tf.mul(tf.tanh(tf.div(s, opts.softcap)), opts.softcap);
  s = tf.reshape(s, [B, H, T, S]);
  if (opts.keep) s = tf.mul(s, opts.keep);
  s = tf.add(s, bias());
  const p = tf.reshape(tf.softmax(s, -1), [B, Hkv, g * T, S]);
  return tf.reshape(bmm(p, v), [B, H, T, D]);
}
