/**
 * Flash-style attention as our own WebGPU kernels ('WebiftAttention', 'WebiftAttentionDq', 'WebiftAttentionDkv'),
 * registered with tfjs and wired into a gradient for q, k and v: the scores (B, H, T, S) never exist in memory.
 * Semantics are ops.ts `attention()` (scale, GQA, softcap before the mask, softmax over S, p · v), with the mask
 * either a bias tensor broadcastable to (B, 1|H, T, S) or causal positions + key padding (+ sliding window) as in
 * model/mask.ts `additiveMask`. Not handled here: ChatGLM-6B's `keep` multiplier, D > 256, non-f32 inputs, other
 * backends (all return null, and the caller keeps the composed ops). Shaders in attention.wgsl.ts; oracle in
 * reference.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { f32u, i32u, registerProgramKernel } from '../webgpu-program';
import { biasStrides } from './bias-strides';
import { BC, BR, dkvCode, dqCode, forwardCode, MAX_D, UNIFORMS } from './attention.wgsl';

/**
 * Fewest queries for which ops.attention takes the kernel: a decode step (T = 1) stays composed, its scores are one
 * row per head and would fill 1/16 of a query tile (measured on SwiftShader: 2-5x slower than the composed ops).
 */
export const FLASH_MIN_QUERIES = 2;

const FWD = 'WebiftAttention';
const DQ = 'WebiftAttentionDq';
const DKV = 'WebiftAttentionDkv';

/** The causal mask as the model builds it (model/mask.ts MaskSpec without the shapes). */
export interface CausalSpec {
  /** (B, past + T) padding mask over all slots; key s of k/v is slot keyStart + s. */
  mask: Int32Array;
  /** Slot of the first query (= cached length). */
  past: number;
  /** Slot of the first key held. */
  keyStart: number;
  /** Query at slot i sees key slot j only if i - j < window. */
  window: number | null;
}

export interface FlashOptions {
  scale: number;
  softcap?: number;
  /** Additive bias broadcastable to (B, H, T, S); used when `causal` is absent. */
  bias?: tf.Tensor;
  causal?: CausalSpec;
}

type Kind = 'fwd' | 'dq' | 'dkv';

class AttentionProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [BR * BC, 1, 1];
  uniforms = UNIFORMS;
  size = false;

  constructor(private readonly kind: Kind, q: number[], k: number[]) {
    const [B, H, T, D] = q;
    const [, Hkv, S] = k;
    this.variableNames = [...(kind === 'fwd' ? ['q', 'k', 'v'] : ['q', 'k', 'v', 'dy', 'stats']), 'bias', 'keys'];
    const n = B * H * T;
    this.outputShape = kind === 'fwd' ? [n * D + 2 * n] : kind === 'dq' ? [n * D] : [2 * B * Hkv * S * D];
    this.dispatch = kind === 'dkv' ? [Math.ceil(S / BC), Hkv, B] : [Math.ceil(T / BR), H, B];
    this.shaderKey = `webift_attention_${kind}`;
  }

  getUserCode(): string {
    return this.kind === 'fwd' ? forwardCode() : this.kind === 'dq' ? dqCode() : dkvCode();
  }
}


interface Attrs { causal: number; scale: number; cap: number; past: number; keyStart: number; win: number; strides: number[]; deadOff: number }

function register(): void {
  for (const kind of ['fwd', 'dq', 'dkv'] as const) {
    const name = kind === 'fwd' ? FWD : kind === 'dq' ? DQ : DKV;
    registerProgramKernel<Attrs>(name, (ins, a, run) => {
      const program = new AttentionProgram(kind, ins.q.shape, ins.k.shape);
      const nQT = Math.ceil(ins.q.shape[2] / BR);
      const uniforms = [
        f32u(a.scale), f32u(a.cap), i32u(a.causal),
        i32u(a.past), i32u(a.keyStart), i32u(a.win), i32u(nQT), ...a.strides.map(i32u), i32u(a.deadOff),
      ];
      return run(program, program.variableNames.map((v) => ins[v]), uniforms);
    });
  }
}

/**
 * The `keys` input: the flat (B, S) key padding mask of slots keyStart.. (0 past the mask's end), then at B·S the
 * (B, ⌈T/BR⌉) flags of query tiles with a fully masked row, then one spare entry (tfjs keys shaders on length-1 inputs).
 */
function causalKeys(c: CausalSpec, B: number, T: number, S: number): Int32Array {
  const total = c.past + T;
  const nQT = Math.ceil(T / BR);
  const keys = new Int32Array(B * S + B * nQT + 1);
  const mask = keys.subarray(0, B * S), dead = keys.subarray(B * S);
  for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) mask[b * S + s] = c.keyStart + s < total ? c.mask[b * total + c.keyStart + s] : 0;
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) {
      const qi = c.past + t;
      const lo = Math.max(0, c.window === null ? 0 : qi - c.window + 1 - c.keyStart);
      let live = false;
      for (let s = Math.min(S - 1, qi - c.keyStart); s >= lo && !live; s--) live = mask[b * S + s] !== 0;
      if (!live) dead[b * nQT + Math.floor(t / BR)] = 1;
    }
  return keys;
}

/**
 * Attention on the WebGPU kernels with gradients to q, k and v. q (B, H, T, D); k, v (B, Hkv, S, D). Returns
 * (B, H, T, D), or null when the backend is not webgpu, an input is not f32, D > 256, or the bias is not
 * broadcastable to (B, H, T, S).
 */
export function attentionWebGpu(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, opts: FlashOptions): tf.Tensor | null {
  if (tf.getBackend() !== 'webgpu' || [q, k, v].some((t) => t.dtype !== 'float32' || t.rank !== 4)) return null;
  const [B, H, T, D] = q.shape as number[];
  const [, Hkv, S] = k.shape as number[];
  if (D > MAX_D || H % Hkv !== 0 || (!opts.causal && !opts.bias)) return null;
  const strides = opts.causal ? [0, 0, 0, 0] : biasStrides(opts.bias!.shape, [B, H, T, S]);
  if (!strides) return null;
  register();
  const c = opts.causal;
  const attrs = { causal: c ? 1 : 0, scale: opts.scale, cap: opts.softcap ?? 0, past: c?.past ?? 0, keyStart: c?.keyStart ?? 0, win: c?.window ?? 0, strides, deadOff: B * S } as unknown as tf.NamedAttrMap;
  // bias (flat; a 2-entry dummy in causal mode) and keys (a 2-entry dummy in bias mode): one shader for both.
  const aux = [c ? tf.zeros([2]) : tf.reshape(opts.bias!, [-1]), tf.tensor1d(c ? causalKeys(c, B, T, S) : new Int32Array(2), 'int32')];
  const auxMap = (ts: tf.Tensor[]): tf.NamedTensorMap => ({ bias: ts[0], keys: ts[1] });
  const n = B * H * T;

  const f = tf.customGrad(((q2: tf.Tensor, k2: tf.Tensor, v2: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
    const flat = tf.engine().runKernel(FWD, { q: q2, k: k2, v: v2, ...auxMap(aux) }, attrs) as tf.Tensor;
    const out = tf.reshape(tf.slice(flat, 0, n * D), [B, H, T, D]);
    const stats = tf.slice(flat, n * D, 2 * n);
    save([q2, k2, v2, out, stats, ...aux]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [qs, ks, vs, os, st, ...ax] = saved;
        const dsum = tf.reshape(tf.sum(tf.mul(dy, os), -1), [-1]); // Dᵢ = rowsum(dO ∘ O), (B·H·T)
        const ins = { q: qs, k: ks, v: vs, dy, stats: tf.concat([st, dsum]), ...auxMap(ax) };
        const dq = tf.reshape(tf.engine().runKernel(DQ, ins, attrs) as tf.Tensor, [B, H, T, D]);
        const dkv = tf.engine().runKernel(DKV, ins, attrs) as tf.Tensor;
        const half = B * Hkv * S * D;
        return [dq, tf.reshape(tf.slice(dkv, 0, half), [B, Hkv, S, D]), tf.reshape(tf.slice(dkv, half, half), [B, Hkv, S, D])];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const out = f(q, k, v) as tf.Tensor;
  tf.dispose(aux);
  return out;
}
