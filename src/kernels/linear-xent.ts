/**
 * Fused lm_head + softmax cross-entropy over token chunks ("linear cross-entropy", as Liger-Kernel and Apple's
 * cut-cross-entropy do it): for each chunk of n tokens, logits z = x_c W (n, V), optional final softcap
 * cap·tanh(z/cap), loss = Σ (logsumexp(z) − z_y), and at once the input gradient dx_c = (softmax(z) − onehot(y))·
 * (1 − tanh²)·Wᵀ / count. Only dx (N, C) survives the forward, so the (N, V) logits are never resident all at once:
 * peak is a few n×V buffers. The head is frozen here (LoRA & co.); a trainable head uses train/loss.ts's plain path.
 * Plain tfjs ops, except the softmax/loss/dz step: one WGSL kernel on webgpu (kernels/xent), one heap kernel on wasm
 * without a softcap (xent/xent-wasm.ts). Reference:
 * train/loss.ts causalLmLoss (tested equal).
 */
import * as tf from '@tensorflow/tfjs-core';
import { softmaxXentWebGpu } from './xent/xent';
import { softmaxXentWasm } from './xent/xent-wasm';

export interface Head {
  /** (C, V), in the layout the plain matmul wants. */
  w: tf.Tensor;
  /** (V, C): the same matrix transposed (for dx), e.g. a tied embedding; absent to transpose once per call. */
  wt?: tf.Tensor;
  /** (V) head bias (MOSS), added before the softcap; frozen like the head. */
  b?: tf.Tensor | null;
}

export interface LinearXentOptions {
  /** Flattened targets (N): vocabulary ids, or -1 where the token is ignored. */
  targets: Int32Array;
  /** Number of targets that are not -1 (the mean's denominator). */
  count: number;
  /** Final logit softcap (Gemma2), or 0. */
  softcap?: number;
  /** Tokens per chunk; default: as many as keep one (n, V) f32 buffer near LOGITS_PER_CHUNK floats (64 MB). */
  chunkTokens?: number;
}

/**
 * Logits per chunk (16 M floats: 341 tokens of SmolLM2's 49,152-word vocabulary). Each chunk's two products copy the
 * whole head into the CPU path's GEMM memory, and a chunk of few rows reuses each packed strip of it little: 341-token
 * chunks ran the SmolLM2-135M head's value + dx at b4 x 256 in 2.5 s against 2.9 s for the 85-token chunks of a 4 M
 * cap (interleaved, this project's 2-core machine), for 150 MB more at the peak.
 */
export const LOGITS_PER_CHUNK = 16 << 20;

export function defaultChunkTokens(V: number): number {
  return Math.max(1, Math.floor(LOGITS_PER_CHUNK / V));
}

/** Mean cross-entropy of head(x) against targets; x (N, C) gets the gradient, the head does not. */
export function linearCrossEntropy(x: tf.Tensor, head: Head, o: LinearXentOptions): tf.Scalar {
  const [N, C] = x.shape as number[];
  if (o.targets.length !== N) throw new Error(`linearCrossEntropy: ${o.targets.length} targets for ${N} rows`);
  const V = head.w.shape[1]!;
  const n = Math.max(1, o.chunkTokens ?? defaultChunkTokens(V));
  const cap = o.softcap ?? 0;
  const f = tf.customGrad(((xi: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    // Nothing inside a customGrad forward is taped; each chunk's buffers are freed by its own tidy.
    const made = head.wt ? null : tf.transpose(head.w);
    const wt = head.wt ?? made!;
    let lossSum: tf.Tensor = tf.scalar(0);
    const dxs: tf.Tensor[] = [];
    for (let r0 = 0; r0 < N; r0 += n) {
      const rows = Math.min(n, N - r0);
      const tgt = o.targets.subarray(r0, r0 + rows);
      const [l, dx] = tf.tidy(() => chunk(tf.slice(xi, [r0, 0], [rows, C]), head, wt, tgt, V, cap, o.count));
      const s = tf.add(lossSum, l);
      lossSum.dispose(); l.dispose();
      lossSum = s;
      dxs.push(dx);
    }
    made?.dispose();
    const dxAll = dxs.length === 1 ? dxs[0] : tf.concat(dxs, 0);
    if (dxs.length > 1) for (const t of dxs) t.dispose();
    save([dxAll]);
    const value = tf.div(lossSum, o.count);
    return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(saved[0], dy) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as tf.Scalar;
}

/** Runs op(t) and frees t: keeps at most two or three (rows, V) buffers alive inside a chunk. */
function then<T extends tf.Tensor>(t: tf.Tensor, op: (t: tf.Tensor) => T): T {
  const out = op(t);
  t.dispose();
  return out;
}

/** One chunk: (Σ loss over its real targets, dx (rows, C)), already divided by count. */
function chunk(xc: tf.Tensor, head: Head, wt: tf.Tensor, tgt: Int32Array, V: number, cap: number, count: number): [tf.Tensor, tf.Tensor] {
  const rows = tgt.length;
  let z = tf.matMul(xc, head.w); // (rows, V)
  if (head.b) z = then(z, (t) => tf.add(t, head.b!));
  // On webgpu (f32) the WGSL kernel (kernels/xent) gives each row's loss and dz in two passes over z; on wasm
  // (no softcap) heap.c's xent_rows does, one kernel over tfjs's heap.
  const tt = tf.tensor1d(tgt, 'int32');
  const fused = softmaxXentWebGpu(z, tt, cap, 1 / count) ?? softmaxXentWasm(z, tt, cap, 1 / count);
  if (fused) {
    z.dispose();
    return [tf.sum(fused.loss), then(fused.dz, (t) => tf.matMul(t, wt))];
  }
  let th: tf.Tensor | null = null;
  if (cap) {
    th = then(z, (t) => tf.tanh(tf.div(t, cap)));
    z = tf.mul(th, cap);
  }
  const mx = tf.max(z, 1, true); // (rows, 1)
  const keep = tf.tensor2d(Float32Array.from(tgt, (y) => (y < 0 ? 0 : 1)), [rows, 1]);
  // z at the target of each row, read from the flattened logits (ignored rows read column 0 and are masked).
  const flatIdx = Int32Array.from(tgt, (y, r) => r * V + Math.max(0, y));
  const zy = tf.reshape(tf.gather(tf.reshape(z, [rows * V]), tf.tensor1d(flatIdx, 'int32')), [rows, 1]);
  const e = then(z, (t) => tf.exp(tf.sub(t, mx)));
  const se = tf.sum(e, 1, true);
  const lse = tf.add(tf.log(se), mx); // (rows, 1)
  const loss = tf.sum(tf.mul(tf.sub(lse, zy), keep));
  // d loss / d z = (softmax − onehot) · keep / count; -1 targets give an all-zero one-hot row (built as int32, pitfall 3).
  let dz = then(e, (t) => tf.div(t, se));
  const onehot = then(tf.oneHot(tf.tensor1d(tgt, 'int32'), V), (t) => tf.cast(t, 'float32'));
  dz = then(dz, (t) => tf.sub(t, onehot));
  onehot.dispose();
  dz = then(dz, (t) => tf.mul(t, tf.div(keep, count)));
  if (th) {
    const d = tf.sub(1, then(th, (t) => tf.square(t)));
    dz = then(dz, (t) => tf.mul(t, d));
  }
  const dx = tf.matMul(dz, wt);
  return [loss, dx];
}

/** A head given as column slices produced on demand (a quantized head decoded a slice at a time). */
export interface SlicedHead {
  /** Vocabulary size. */
  V: number;
  /** The slices as [first column, columns], in order, covering [0, V). */
  segments: [number, number][];
  /** Columns [c0, c0 + n) as a fresh f32 (C, n) tensor; the caller disposes it. */
  slice(c0: number, n: number): tf.Tensor;
  /** (V) head bias (MOSS), or absent. */
  b?: tf.Tensor | null;
}

/**
 * The same loss for a head that cannot be held as f32 at once: two passes over vocabulary slices, each decoded on
 * demand. Pass 1 keeps a running max and sum of exp per token (online logsumexp) and the target logits; pass 2
 * decodes each slice again and adds (softmax − onehot)·Wᵀ into dx. Peak: one (C, n) slice, its transpose and a few
 * (N, n) buffers. Costs a second head matmul and decode; used only for quantized or split heads.
 */
export function slicedLinearCrossEntropy(x: tf.Tensor, head: SlicedHead, o: LinearXentOptions): tf.Scalar {
  const [N, C] = x.shape as number[];
  if (o.targets.length !== N) throw new Error(`slicedLinearCrossEntropy: ${o.targets.length} targets for ${N} rows`);
  const { segments } = head;
  const cap = o.softcap ?? 0;
  /** x W[:, c0:c0+n] (+ b[c0:c0+n]), before the softcap. */
  const raw = (xi: tf.Tensor, w: tf.Tensor, c0: number, n: number) => {
    const z = tf.matMul(xi, w);
    return head.b ? then(z, (t) => tf.add(t, tf.slice(head.b!, [c0], [n]))) : z;
  };
  const logits = (xi: tf.Tensor, w: tf.Tensor, c0: number, n: number) => {
    const z = raw(xi, w, c0, n);
    return cap ? then(z, (t) => tf.mul(tf.tanh(tf.div(t, cap)), cap)) : z;
  };
  const f = tf.customGrad(((xi: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    const keep = tf.tensor2d(Float32Array.from(o.targets, (y) => (y < 0 ? 0 : 1)), [N, 1]);
    let m: tf.Tensor = tf.fill([N, 1], -Infinity);
    let s: tf.Tensor = tf.zeros([N, 1]);
    let zy: tf.Tensor = tf.zeros([N, 1]);
    for (const [c0, n] of segments) {
      const [m2, s2, zy2] = tf.tidy(() => {
        const w = head.slice(c0, n);
        const z = logits(xi, w, c0, n); // (N, n)
        const mNew = tf.maximum(m, tf.max(z, 1, true));
        const sNew = tf.add(tf.mul(s, tf.exp(tf.sub(m, mNew))), tf.sum(tf.exp(tf.sub(z, mNew)), 1, true));
        // Target logits that fall in this slice; the others read column 0 and are masked out.
        const inSlice = Float32Array.from(o.targets, (y) => (y >= c0 && y < c0 + n ? 1 : 0));
        const flat = Int32Array.from(o.targets, (y, r) => r * n + (y >= c0 && y < c0 + n ? y - c0 : 0));
        const picked = tf.reshape(tf.gather(tf.reshape(z, [N * n]), tf.tensor1d(flat, 'int32')), [N, 1]);
        return [mNew, sNew, tf.add(zy, tf.mul(picked, tf.tensor2d(inSlice, [N, 1])))];
      });
      tf.dispose([m, s, zy]);
      m = m2; s = s2; zy = zy2;
    }
    const lse = tf.add(tf.log(s), m);
    let dx: tf.Tensor = tf.zeros([N, C]);
    const scale = tf.div(keep, o.count);
    for (const [c0, n] of segments) {
      const d = tf.tidy(() => {
        const w = head.slice(c0, n);
        const zRaw = raw(xi, w, c0, n);
        const th = cap ? tf.tanh(tf.div(zRaw, cap)) : null;
        const z = th ? tf.mul(th, cap) : zRaw;
        let dz = tf.exp(tf.sub(z, lse));
        const tgt = Int32Array.from(o.targets, (y) => (y >= c0 && y < c0 + n ? y - c0 : -1));
        // oneHot wants depth >= 2: a one-column slice takes the first column of a depth-2 one-hot.
        const oh = tf.cast(tf.oneHot(tf.tensor1d(tgt, 'int32'), Math.max(2, n)), 'float32');
        dz = tf.mul(tf.sub(dz, n === 1 ? tf.slice(oh, [0, 0], [-1, 1]) : oh), scale);
        if (th) dz = tf.mul(dz, tf.sub(1, tf.square(th)));
        return tf.add(dx, tf.matMul(dz, tf.transpose(w)));
      });
      dx.dispose();
      dx = d;
    }
    const value = tf.div(tf.sum(tf.mul(tf.sub(lse, zy), keep)), o.count);
    save([dx]);
    return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(saved[0], dy) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as tf.Scalar;
}
