/**
 * Prefix tuning (arXiv:2101.00190) as peft 0.13 with prefix_projection=false: one trainable embedding
 * E [n, L*2*token_dim], viewed as (n, 2L, Hkv, D); slice 2l is layer l's past key, 2l+1 its past value, used as
 * cache entries (B, Hkv, n, D) as they are: NO RoPE. token_dim = Hkv*D and num_attention_heads = Hkv (PEFT's GQA
 * adjustment). The mask becomes [1 x n ; mask] and the real tokens sit at positions n..n+T-1 (the cache length).
 * Not handled: prefix_projection (the MLP reparametrisation). Parity is checked on llama only.
 */
import { tf } from '../kernels/tf';
import type { KVCache, Model } from '../model/types';
import { PeftConfigError, prefixTuningConfig, type PrefixTuningConfig } from './config';
import { makeAdapter, newVariable, type Adapter } from './adapter';
import { mulberry32, normalFill } from './rng';
import { extendMask, PROMPT_KEY } from './prompt';
import type { AttachOptions } from './lora';

/** Fills the model-derived fields (with the GQA adjustment); checks given ones against the model. */
export function completePrefixConfig(model: Model, config: Partial<PrefixTuningConfig>): PrefixTuningConfig {
  const c = prefixTuningConfig(config);
  const m = model.config;
  const tokenDim = m.kvHeads * m.headDim;
  const want = { token_dim: tokenDim, num_layers: m.layers, num_attention_heads: m.kvHeads, num_transformer_submodules: 1, encoder_hidden_size: tokenDim };
  for (const [k, v] of Object.entries(want)) {
    const got = c[k as keyof typeof want];
    if (got !== null && got !== v) throw new PeftConfigError(`prefix tuning ${k} is ${got} but this model implies ${v} (${m.layers} layers, ${m.kvHeads} KV heads of ${m.headDim})`);
  }
  return { ...c, ...want };
}

/** get_peft_model(model, PrefixTuningConfig): a trainable E [n, L*2*Hkv*D] ~ N(0, 1) (nn.Embedding's init). */
export function attachPrefixTuning(model: Model, config: Partial<PrefixTuningConfig>, opts: AttachOptions = {}): Adapter {
  const c = completePrefixConfig(model, config);
  const n = c.num_virtual_tokens, width = c.num_layers! * 2 * c.token_dim!;
  const e = newVariable(() => tf.tensor2d(normalFill(mulberry32(opts.seed ?? 0), n * width, 1), [n, width]));
  return makeAdapter('PREFIX_TUNING', c, new Map([[PROMPT_KEY, e]]), new Map(), { seed: opts.seed, virtualTokens: n });
}

/**
 * A fresh cache whose layers hold the prefix keys/values (B, Hkv, n, D), differentiable with respect to E.
 * forward() extends it in place and frees these tensors, so build one per forward.
 */
export function prefixCache(model: Model, adapter: Adapter, B: number): KVCache {
  const { layers: L, kvHeads: Hkv, headDim: D } = model.config;
  const n = adapter.virtualTokens;
  const e = adapter.params.get(PROMPT_KEY)!; // (n, 2L*Hkv*D)
  const slices = tf.unstack(tf.transpose(tf.reshape(e, [n, 2 * L, Hkv, D]), [1, 2, 0, 3]), 0); // 2L x (Hkv, n, D)
  const batch = (t: tf.Tensor) => tf.broadcastTo(tf.expandDims(t, 0), [B, Hkv, n, D]);
  const layers = Array.from({ length: L }, (_, l) => ({ k: batch(slices[2 * l]), v: batch(slices[2 * l + 1]), start: 0 }));
  return { layers, length: n };
}

/** The attention mask over prefix + tokens: (B, n + T). */
export function prefixMask(adapter: Adapter, B: number, T: number, mask?: Int32Array): Int32Array {
  if (mask && mask.length !== B * T) throw new Error(`attention_mask has ${mask.length} values, expected B*T = ${B * T}`);
  return extendMask(adapter.virtualTokens, B, T, mask);
}
