/**
 * What a family contributes to the shared decoder block: how to get q/k/v from the normed input, and the MLP.
 * Everything else (norms, positions, masks, cache, residuals) is config-driven in transformer.ts.
 */
import { tf, type Tensor } from '../../kernels/tf';
import { geluTanh, silu, swiglu } from '../../kernels/ops';
import type { ModelConfig } from '../config';

export interface LayerCtx {
  cfg: ModelConfig;
  layer: number;
  B: number;
  T: number;
  /** Applies the linear module `layers.{layer}.{short}` (through the injected LinearFn). */
  lin(short: string, x: Tensor): Tensor;
}

export interface Qkv {
  /** (B, H, T, D) */
  q: Tensor;
  /** (B, Hkv, T, D) */
  k: Tensor;
  v: Tensor;
}

/** What forward() hands a family that derives its own positions and masks (FamilyImpl.attn). */
export interface AttnArgs {
  cfg: ModelConfig;
  invFreq: Float32Array | null;
  B: number;
  T: number;
  /** Slots already cached. */
  past: number;
  /** (B, past + T) the ids of every slot so far; null when some slot had none (virtual tokens in the cache). */
  ids: Int32Array | null;
  /** (B, past + T) padding mask. */
  mask: Int32Array;
  /** (B, T) position ids, given or defaulted. */
  positions: Int32Array;
}

export interface FamilyAttn {
  /** RoPE tables and rotation replacing the config-driven ones; absent: config-driven. */
  rope?: { tables: { tensors(): { cos: Tensor; sin: Tensor } }; rotate(x: Tensor, cos: Tensor, sin: Tensor): Tensor };
  /** Layer `layer`'s score bias (B, 1, T, S) over key slots [keyStart, keyStart + S), and the scores' multiplier. */
  bias(layer: number, keyStart: number, S: number): { bias: Tensor; keep?: Tensor };
}

export interface FamilyImpl {
  qkv(ctx: LayerCtx, h: Tensor): Qkv;
  mlp(ctx: LayerCtx, h: Tensor): Tensor;
  /** ChatGLM: positions and masks derived from the ids and padding instead of the config-driven ones. */
  attn?(a: AttnArgs): FamilyAttn;
}

/** (B, T, n*D) -> (B, n, T, D) */
export function splitHeads(x: Tensor, B: number, T: number, n: number, D: number): Tensor {
  return tf.transpose(tf.reshape(x, [B, T, n, D]), [0, 2, 1, 3]);
}

export function act(cfg: ModelConfig, x: Tensor): Tensor {
  return cfg.act === 'silu' ? silu(x) : geluTanh(x);
}

/** Separate q_proj / k_proj / v_proj (llama, qwen2, gemma, gemma2). */
export function separateQkv(ctx: LayerCtx, h: Tensor): Qkv {
  const { cfg, B, T } = ctx;
  return {
    q: splitHeads(ctx.lin('q', h), B, T, cfg.heads, cfg.headDim),
    k: splitHeads(ctx.lin('k', h), B, T, cfg.kvHeads, cfg.headDim),
    v: splitHeads(ctx.lin('v', h), B, T, cfg.kvHeads, cfg.headDim),
  };
}

/** down(act(gate(h)) * up(h)) */
export function gatedMlp(ctx: LayerCtx, h: Tensor): Tensor {
  if (ctx.cfg.act === 'silu') return ctx.lin('down', swiglu(ctx.lin('gate', h), ctx.lin('up', h)));
  return ctx.lin('down', tf.mul(act(ctx.cfg, ctx.lin('gate', h)), ctx.lin('up', h)));
}

/** down(act(up(h))) */
export function plainMlp(ctx: LayerCtx, h: Tensor): Tensor {
  return ctx.lin('down', act(ctx.cfg, ctx.lin('up', h)));
}
