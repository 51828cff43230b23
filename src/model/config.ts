/**
 * Maps HF config.json to one typed ModelConfig for the supported families. Field names follow HF where a
 * field exists there; derived switches (norm kind, position kind, fused projections) are computed here once.
 * Not handled: Phi-3 longrope/su scaling, dynamic-NTK and YaRN rope scaling (refused with a clear error).
 */

export type Family = 'llama' | 'qwen2' | 'gpt2' | 'bloom' | 'phi3' | 'gemma' | 'gemma2' | 'moss' | 'chatglm' | 'chatglm2';
/** The model_type values config.json may name; ChatGLM2/3 also say 'chatglm' (chatglmConfig tells them apart). */
export const FAMILIES: Family[] = ['llama', 'qwen2', 'gpt2', 'bloom', 'phi3', 'gemma', 'gemma2', 'moss', 'chatglm'];

/** The HF model_type a family's config.json says: both ChatGLM versions say 'chatglm'. */
export function hfModelType(family: Family): string {
  return family === 'chatglm2' ? 'chatglm' : family;
}

/**
 * ChatGLM's conventions. v1 (ChatGLM-6B): 2-D positions and a bidirectional prefix derived from [MASK]/[gMASK] and
 * <sop> (its bos), and the residual on the normed input weighted by alpha. v2 (ChatGLM2/3-6B): causal, multi-query.
 */
export type GlmSpec =
  | { version: 1; maskTokenId: number; gmaskTokenId: number; sopTokenId: number; alpha: number }
  | { version: 2 };

export interface Llama3RopeScaling {
  ropeType: 'llama3';
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}
export interface LinearRopeScaling {
  ropeType: 'linear';
  factor: number;
}

export interface ModelConfig {
  family: Family;
  vocabSize: number;
  /** C: model width, e.g. 576 for SmolLM2-135M. */
  hidden: number;
  /** L */
  layers: number;
  /** H: query heads. */
  heads: number;
  /** Hkv: key/value heads (GQA when < H). */
  kvHeads: number;
  /** D: per-head width. */
  headDim: number;
  /** MLP inner width (BLOOM: 4*hidden). */
  intermediate: number;
  normKind: 'rms' | 'layer';
  normEps: number;
  /** Gemma's RMSNorm scales by (1 + w). */
  normPlusOne: boolean;
  act: 'silu' | 'gelu_tanh';
  /** gated: down(act(gate) * up); plain: down(act(up)). */
  mlpKind: 'gated' | 'plain';
  posKind: 'rope' | 'learned' | 'alibi';
  ropeTheta: number;
  ropeScaling: Llama3RopeScaling | LinearRopeScaling | null;
  /** Leading dims of each head that RoPE rotates (MOSS: rotary_dim, e.g. 64 of 256); absent = all D. */
  rotaryDim?: number;
  /** RoPE pairs: 'half' = HF rotate_half (i, i + R/2); 'interleaved' = GPT-J rotate_every_two (2i, 2i + 1). Absent = 'half'. */
  ropeStyle?: 'half' | 'interleaved';
  /** GPT-J / CodeGen / MOSS block: x + attn(ln(x)) + mlp(ln(x)) with one norm. Absent = sequential pre-norm. */
  parallelBlock?: boolean;
  maxPositions: number;
  tieEmbeddings: boolean;
  /** Gemma multiplies embeddings by sqrt(hidden). */
  embedScale: number;
  /** Score scale applied to q·k. */
  attnScale: number;
  attnSoftcap: number | null;
  finalSoftcap: number | null;
  /** Gemma2: sliding window length on even layers; null when every layer is global. */
  slidingWindow: number | null;
  /** ChatGLM only (families/chatglm.ts, chatglm2.ts). */
  glm?: GlmSpec;
  bosTokenId: number | null;
  eosTokenIds: number[];
  padTokenId: number | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Raw = Record<string, unknown>;

function num(raw: Raw, ...keys: string[]): number {
  for (const k of keys) if (typeof raw[k] === 'number') return raw[k] as number;
  throw new ConfigError(`config.json lacks a numeric '${keys[0]}'`);
}

function opt(raw: Raw, key: string): number | null {
  return typeof raw[key] === 'number' ? (raw[key] as number) : null;
}

function ids(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v)) return v.filter((x): x is number => typeof x === 'number');
  return [];
}

function ropeScaling(raw: Raw): ModelConfig['ropeScaling'] {
  const rs = raw.rope_scaling as Raw | null | undefined;
  if (!rs) return null;
  const type = (rs.rope_type ?? rs.type) as string;
  if (type === 'default') return null;
  if (type === 'llama3') {
    return {
      ropeType: 'llama3',
      factor: num(rs, 'factor'),
      lowFreqFactor: num(rs, 'low_freq_factor'),
      highFreqFactor: num(rs, 'high_freq_factor'),
      originalMaxPositionEmbeddings: num(rs, 'original_max_position_embeddings'),
    };
  }
  if (type === 'linear') return { ropeType: 'linear', factor: num(rs, 'factor') };
  throw new ConfigError(`rope_scaling type '${type}' is not supported (supported: llama3, linear)`);
}

/** Maps a parsed config.json. Throws ConfigError naming the field for anything unsupported. */
export function parseConfig(raw: Raw): ModelConfig {
  const mt = raw.model_type as string | undefined;
  if (!mt) throw new ConfigError('config.json has no model_type');
  if (!(FAMILIES as string[]).includes(mt)) throw new ConfigError(`unknown model_type '${mt}' (supported: ${FAMILIES.join(', ')})`);
  const family = mt as Family;
  const common = { bosTokenId: opt(raw, 'bos_token_id'), eosTokenIds: ids(raw.eos_token_id), padTokenId: opt(raw, 'pad_token_id') };
  if (family === 'chatglm') return chatglmConfig(raw, common);
  if (family === 'gpt2') {
    const hidden = num(raw, 'n_embd'), heads = num(raw, 'n_head');
    const act = raw.activation_function as string;
    if (act && act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') throw new ConfigError(`gpt2 activation_function '${act}' is not supported`);
    if (raw.scale_attn_by_inverse_layer_idx || raw.reorder_and_upcast_attn) throw new ConfigError('gpt2 scale_attn_by_inverse_layer_idx / reorder_and_upcast_attn are not supported');
    return {
      family, vocabSize: num(raw, 'vocab_size'), hidden, layers: num(raw, 'n_layer'), heads, kvHeads: heads, headDim: hidden / heads,
      intermediate: opt(raw, 'n_inner') ?? 4 * hidden, normKind: 'layer', normEps: num(raw, 'layer_norm_epsilon'), normPlusOne: false,
      act: 'gelu_tanh', mlpKind: 'plain', posKind: 'learned', ropeTheta: 0, ropeScaling: null, maxPositions: num(raw, 'n_positions'),
      tieEmbeddings: true, embedScale: 1, attnScale: raw.scale_attn_weights === false ? 1 : 1 / Math.sqrt(hidden / heads),
      attnSoftcap: null, finalSoftcap: null, slidingWindow: null, ...common,
    };
  }
  if (family === 'moss') return mossConfig(raw, common);
  if (family === 'bloom') {
    const hidden = num(raw, 'hidden_size', 'n_embed'), heads = num(raw, 'n_head', 'num_attention_heads');
    if (raw.apply_residual_connection_post_layernorm) throw new ConfigError('bloom apply_residual_connection_post_layernorm=true is not supported');
    return {
      family, vocabSize: num(raw, 'vocab_size'), hidden, layers: num(raw, 'n_layer', 'num_hidden_layers'), heads, kvHeads: heads, headDim: hidden / heads,
      intermediate: 4 * hidden, normKind: 'layer', normEps: num(raw, 'layer_norm_epsilon'), normPlusOne: false, act: 'gelu_tanh', mlpKind: 'plain',
      posKind: 'alibi', ropeTheta: 0, ropeScaling: null, maxPositions: Infinity, tieEmbeddings: true, embedScale: 1,
      attnScale: 1 / Math.sqrt(hidden / heads), attnSoftcap: null, finalSoftcap: null, slidingWindow: null, ...common,
    };
  }
  // RoPE families: llama, qwen2, phi3, gemma, gemma2.
  const hidden = num(raw, 'hidden_size'), heads = num(raw, 'num_attention_heads');
  const headDim = opt(raw, 'head_dim') ?? hidden / heads;
  const gemma = family === 'gemma' || family === 'gemma2';
  const actName = (raw.hidden_activation ?? raw.hidden_act ?? 'silu') as string;
  const act = actName === 'silu' ? 'silu' : /gelu_pytorch_tanh|gelu_new|gelu$/.test(actName) ? 'gelu_tanh' : null;
  if (!act) throw new ConfigError(`hidden_act '${actName}' is not supported`);
  if (family === 'phi3' && raw.rope_scaling) throw new ConfigError('phi3 rope_scaling (longrope/su) is not supported; use a 4k-context Phi-3 checkpoint');
  if (family === 'phi3' && typeof raw.partial_rotary_factor === 'number' && raw.partial_rotary_factor !== 1) throw new ConfigError('phi3 partial_rotary_factor != 1 is not supported');
  const qpas = family === 'gemma2' ? opt(raw, 'query_pre_attn_scalar') : null;
  return {
    family, vocabSize: num(raw, 'vocab_size'), hidden, layers: num(raw, 'num_hidden_layers'), heads,
    kvHeads: opt(raw, 'num_key_value_heads') ?? heads, headDim, intermediate: num(raw, 'intermediate_size'),
    normKind: 'rms', normEps: num(raw, 'rms_norm_eps'), normPlusOne: gemma, act, mlpKind: 'gated', posKind: 'rope',
    ropeTheta: opt(raw, 'rope_theta') ?? 10000, ropeScaling: family === 'phi3' ? null : ropeScaling(raw),
    maxPositions: opt(raw, 'max_position_embeddings') ?? 2048,
    // Gemma ties by default; llama/qwen2/phi3 follow the flag (HF default true, most checkpoints say false).
    tieEmbeddings: gemma ? raw.tie_word_embeddings !== false : raw.tie_word_embeddings !== false,
    embedScale: gemma ? Math.sqrt(hidden) : 1,
    attnScale: 1 / Math.sqrt(qpas ?? headDim),
    attnSoftcap: family === 'gemma2' ? opt(raw, 'attn_logit_softcapping') : null,
    finalSoftcap: family === 'gemma2' ? opt(raw, 'final_logit_softcapping') : null,
    slidingWindow: family === 'gemma2' ? opt(raw, 'sliding_window') : null,
    ...common,
  };
}

/**
 * MOSS (OpenLMLab modeling_moss.py, CodeGen-derived): GPT-J rotary on the first rotary_dim dims, one LayerNorm
 * feeding a parallel attention + MLP, gelu_new, lm_head with a bias. Its fused qkv is split in mp_num = 4 chunks,
 * hard-coded, so n_head must be a multiple of 4. GPTQ checkpoints (wbits 4/8: qweight, scales) are refused.
 */
function mossConfig(raw: Raw, common: Pick<ModelConfig, 'bosTokenId' | 'eosTokenIds' | 'padTokenId'>): ModelConfig {
  const hidden = num(raw, 'n_embd'), heads = num(raw, 'n_head'), headDim = hidden / heads;
  if (heads % 4 !== 0) throw new ConfigError(`moss n_head ${heads} is not a multiple of 4 (its fused qkv_proj is split in mp_num = 4 chunks)`);
  const wbits = opt(raw, 'wbits');
  if (wbits !== null && wbits !== 32) throw new ConfigError(`moss wbits ${wbits}: GPTQ-quantized MOSS checkpoints are not supported; load the fp16 one (e.g. fnlp/moss-moon-003-sft) and use --quantize`);
  const act = (raw.activation_function ?? 'gelu_new') as string;
  if (act !== 'gelu_new') throw new ConfigError(`moss activation_function '${act}' is not supported (gelu_new)`);
  const rotaryDim = opt(raw, 'rotary_dim') ?? headDim;
  if (rotaryDim % 2 !== 0 || rotaryDim > headDim) throw new ConfigError(`moss rotary_dim ${rotaryDim} must be even and at most the head size ${headDim}`);
  return {
    family: 'moss', vocabSize: num(raw, 'vocab_size'), hidden, layers: num(raw, 'n_layer'), heads, kvHeads: heads, headDim,
    intermediate: opt(raw, 'n_inner') ?? 4 * hidden, normKind: 'layer', normEps: num(raw, 'layer_norm_epsilon'), normPlusOne: false,
    act: 'gelu_tanh', mlpKind: 'plain', posKind: 'rope', ropeTheta: 10000, ropeScaling: null, rotaryDim, ropeStyle: 'interleaved',
    parallelBlock: true, maxPositions: num(raw, 'n_positions'), tieEmbeddings: raw.tie_word_embeddings === true, embedScale: 1,
    attnScale: 1 / Math.sqrt(headDim), attnSoftcap: null, finalSoftcap: null, slidingWindow: null, ...common,
  };
}

/**
 * ChatGLM-6B (v1) and ChatGLM2/3-6B both say model_type 'chatglm'; v1's config has position_encoding_2d /
 * gmask_token_id / inner_hidden_size, v2's multi_query_group_num / kv_channels / padded_vocab_size / ffn_hidden_size.
 * Refused: THUDM's pre-quantized checkpoints (quantization_bit), the built-in P-tuning v2 prefix (pre_seq_len) and
 * the architecture switches no released checkpoint flips.
 */
function chatglmConfig(raw: Raw, common: Pick<ModelConfig, 'bosTokenId' | 'eosTokenIds' | 'padTokenId'>): ModelConfig {
  const v2 = ['multi_query_group_num', 'kv_channels', 'padded_vocab_size', 'ffn_hidden_size'].some((k) => k in raw);
  const v1 = ['position_encoding_2d', 'gmask_token_id', 'inner_hidden_size'].some((k) => k in raw);
  if (v1 === v2) throw new ConfigError(`chatglm config.json: cannot tell ChatGLM-6B (position_encoding_2d, gmask_token_id, inner_hidden_size) from ChatGLM2/3 (multi_query_group_num, kv_channels, padded_vocab_size, ffn_hidden_size): it has ${v1 ? 'keys of both' : 'neither'}`);
  if (typeof raw.quantization_bit === 'number' && raw.quantization_bit !== 0) throw new ConfigError(`chatglm quantization_bit ${raw.quantization_bit}: THUDM's pre-quantized checkpoints are not supported; load the fp16 one and use --quantize`);
  if (typeof raw.pre_seq_len === 'number') throw new ConfigError('chatglm pre_seq_len: the built-in P-tuning v2 prefix is not supported (train a PEFT adapter instead)');
  const hidden = num(raw, 'hidden_size'), heads = num(raw, 'num_attention_heads'), layers = num(raw, 'num_layers');
  const base = { hidden, heads, layers, normEps: num(raw, 'layernorm_epsilon'), normPlusOne: false, posKind: 'rope' as const, ropeScaling: null, embedScale: 1, attnSoftcap: null, finalSoftcap: null, slidingWindow: null, ...common };
  if (v1) {
    const headDim = hidden / heads;
    if (raw.position_encoding_2d === false) throw new ConfigError('chatglm position_encoding_2d=false is not supported');
    if (headDim % 4 !== 0) throw new ConfigError(`chatglm head size ${headDim} must be a multiple of 4 (2-D RoPE rotates two halves in pairs)`);
    return {
      ...base, family: 'chatglm', vocabSize: num(raw, 'vocab_size'), kvHeads: heads, headDim, intermediate: opt(raw, 'inner_hidden_size') ?? 4 * hidden,
      normKind: 'layer', act: 'gelu_tanh', mlpKind: 'plain', ropeTheta: 10000, maxPositions: opt(raw, 'max_sequence_length') ?? 2048,
      // The real config omits tie_word_embeddings, so HF's default ties lm_head to the embedding there.
      tieEmbeddings: raw.tie_word_embeddings !== false, attnScale: 1 / Math.sqrt(headDim),
      // GLMBlock's alpha is (2 * num_layers) ** 0.5 with num_layers left at its default 28 by ChatGLMModel.
      glm: { version: 1, maskTokenId: opt(raw, 'mask_token_id') ?? 130000, gmaskTokenId: opt(raw, 'gmask_token_id') ?? 130001, sopTokenId: common.bosTokenId ?? 130004, alpha: Math.sqrt(2 * 28) },
    };
  }
  for (const [k, want] of [['rmsnorm', true], ['post_layer_norm', true], ['apply_residual_connection_post_layernorm', false], ['original_rope', true]] as const) {
    if (k in raw && raw[k] !== want) throw new ConfigError(`chatglm2 ${k}=${String(raw[k])} is not supported`);
  }
  const headDim = opt(raw, 'kv_channels') ?? hidden / heads;
  return {
    ...base, family: 'chatglm2', vocabSize: num(raw, 'padded_vocab_size', 'vocab_size'), kvHeads: raw.multi_query_attention ? num(raw, 'multi_query_group_num') : heads,
    headDim, intermediate: num(raw, 'ffn_hidden_size'), normKind: 'rms', act: 'silu', mlpKind: 'gated',
    // RoPE on the first half of each head, in adjacent pairs; ChatGLM3's long-context variants scale the base by rope_ratio.
    ropeTheta: 10000 * (opt(raw, 'rope_ratio') ?? 1), rotaryDim: headDim / 2, ropeStyle: 'interleaved', maxPositions: opt(raw, 'seq_length') ?? 2048,
    tieEmbeddings: raw.tie_word_embeddings === true, attnScale: 1 / Math.sqrt(headDim), glm: { version: 2 },
  };
}

/** ChatGLM-6B rounds its inverse frequencies to float16 (f32 math, then .half()): round-to-nearest-even to 11 bits. */
export function roundToHalf(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const e = Math.max(Math.floor(Math.log2(Math.abs(x))), -14); // below 2^-14 fp16 is subnormal: fixed 2^-24 steps
  const ulp = 2 ** (e - 10);
  const q = x / ulp, r = Math.round(q);
  return (Math.abs(q - Math.trunc(q)) === 0.5 && r % 2 !== 0 ? r - 1 : r) * ulp;
}

/** Gemma2 alternates sliding-window (even layers) and global (odd layers) attention, as transformers 4.45. */
export function layerWindow(cfg: ModelConfig, layer: number): number | null {
  return cfg.slidingWindow !== null && layer % 2 === 0 ? cfg.slidingWindow : null;
}

/** RoPE inverse frequencies in f32, with llama3 or linear scaling applied as HF's rope init functions do. */
export function ropeInvFreq(cfg: ModelConfig): Float32Array {
  if (cfg.glm?.version === 1) {
    // Each half of a head is rotated on its own (2-D RoPE), so the rotary dim is D/2; torch f32 math, then .half().
    const R = cfg.headDim / 2;
    return Float32Array.from({ length: R / 2 }, (_, i) => roundToHalf(Math.fround(1 / Math.fround(Math.pow(cfg.ropeTheta, Math.fround((2 * i) / R))))));
  }
  const D = cfg.rotaryDim ?? cfg.headDim;
  const inv = new Float32Array(D / 2);
  for (let i = 0; i < D / 2; i++) inv[i] = 1 / Math.pow(cfg.ropeTheta, (2 * i) / D);
  const rs = cfg.ropeScaling;
  if (rs?.ropeType === 'linear') for (let i = 0; i < inv.length; i++) inv[i] = inv[i] / rs.factor;
  if (rs?.ropeType === 'llama3') {
    const lowWavelen = rs.originalMaxPositionEmbeddings / rs.lowFreqFactor;
    const highWavelen = rs.originalMaxPositionEmbeddings / rs.highFreqFactor;
    for (let i = 0; i < inv.length; i++) {
      const wavelen = (2 * Math.PI) / inv[i];
      if (wavelen > lowWavelen) inv[i] = inv[i] / rs.factor;
      else if (wavelen >= highWavelen) {
        const smooth = (rs.originalMaxPositionEmbeddings / wavelen - rs.lowFreqFactor) / (rs.highFreqFactor - rs.lowFreqFactor);
        inv[i] = (1 - smooth) * (inv[i] / rs.factor) + smooth * inv[i];
      }
    }
  }
  return inv;
}
