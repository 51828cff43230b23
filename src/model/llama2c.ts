/**
 * llama2.c legacy (v0) checkpoint -> an HF Llama checkpoint in memory: config.json, generation_config.json and
 * model.safetensors bytes. Pure: bytes in, objects and bytes out. Its tokenizer.bin is converted by
 * tokenizer/llama2c-tokenizer.ts (model/ may not import tokenizer/); node/convert-llama2c.ts joins the two.
 * Layout (karpathy/llama2.c export.py `legacy_export`, run.c `memory_map_weights`): 7 int32 (dim, hidden_dim, n_layers,
 * n_heads, n_kv_heads, vocab_size (< 0: unshared classifier), seq_len), then f32 arrays, each [out, in] like nn.Linear.
 * q/k rows are permuted from llama2.c's interleaved RoPE pairs (2i, 2i+1) to HF's rotate_half halves (i, i + D/2), as
 * transformers' convert_llama_weights_to_hf.py `permute` does. Not handled: v1/v2 exports ("ak42" header), int8 weights.
 */
import { writeSafetensors, type WritableTensor } from './safetensors';

export interface Llama2cHeader {
  /** C */
  dim: number;
  /** MLP inner width. */
  hiddenDim: number;
  /** L */
  layers: number;
  /** H */
  heads: number;
  /** Hkv */
  kvHeads: number;
  /** V (absolute value of the stored field). */
  vocabSize: number;
  seqLen: number;
  /** The classifier is the embedding (stored vocab_size > 0). */
  shared: boolean;
}

export class Llama2cError extends Error {
  override name = 'Llama2cError';
}

const HEADER_BYTES = 28;

export function parseLlama2cHeader(bytes: Uint8Array, label = 'checkpoint'): Llama2cHeader {
  if (bytes.byteLength < HEADER_BYTES) throw new Llama2cError(`${label}: expected at least ${HEADER_BYTES} bytes for the header, got ${bytes.byteLength}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  if (dv.getUint32(0, true) === 0x616b3432) throw new Llama2cError(`${label}: a llama2.c v${dv.getInt32(4, true)} export ("ak42" magic); only the legacy v0 format is supported`);
  const [dim, hiddenDim, layers, heads, kvHeads, vocab, seqLen] = Array.from({ length: 7 }, (_, i) => dv.getInt32(4 * i, true));
  const h: Llama2cHeader = { dim, hiddenDim, layers, heads, kvHeads, vocabSize: Math.abs(vocab), seqLen, shared: vocab > 0 };
  const bad = dim <= 0 || hiddenDim <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocab === 0 || seqLen <= 0;
  if (bad || dim % heads !== 0 || heads % kvHeads !== 0 || (dim / heads) % 2 !== 0) {
    throw new Llama2cError(`${label}: implausible header ${JSON.stringify(h)} (not a llama2.c legacy checkpoint?)`);
  }
  return h;
}

/** The f32 arrays of the file in order, with their shapes (per layer arrays are stacked over L). */
function layout(h: Llama2cHeader): { name: string; shape: number[] }[] {
  const { dim: C, hiddenDim: I, layers: L, vocabSize: V, seqLen: S } = h;
  const D = C / h.heads, KV = h.kvHeads * D;
  return [
    { name: 'token_embedding', shape: [V, C] },
    { name: 'rms_att', shape: [L, C] },
    { name: 'wq', shape: [L, C, C] },
    { name: 'wk', shape: [L, KV, C] },
    { name: 'wv', shape: [L, KV, C] },
    { name: 'wo', shape: [L, C, C] },
    { name: 'rms_ffn', shape: [L, C] },
    { name: 'w1', shape: [L, I, C] },
    { name: 'w2', shape: [L, C, I] },
    { name: 'w3', shape: [L, I, C] },
    { name: 'rms_final', shape: [C] },
    { name: 'freq_cis_real', shape: [S, D / 2] },
    { name: 'freq_cis_imag', shape: [S, D / 2] },
    ...(h.shared ? [] : [{ name: 'wcls', shape: [V, C] }]),
  ];
}

export function expectedCheckpointBytes(h: Llama2cHeader): number {
  return HEADER_BYTES + 4 * layout(h).reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
}

/** HF permute: rows (h, i, j) with pair index i and member j -> (h, j, i), so pairs become halves. w: [n*D, in]. */
export function permuteRope(w: Float32Array, nHeads: number, inDim: number): Float32Array {
  const rows = w.length / inDim, D = rows / nHeads, half = D / 2;
  const out = new Float32Array(w.length);
  for (let h = 0; h < nHeads; h++)
    for (let i = 0; i < half; i++)
      for (let j = 0; j < 2; j++) {
        const src = (h * D + 2 * i + j) * inDim, dst = (h * D + j * half + i) * inDim;
        out.set(w.subarray(src, src + inDim), dst);
      }
  return out;
}

/** The stored RoPE tables must be theta = 10000 (what the config says); a mismatch means another RoPE variant. */
function checkRope(h: Llama2cHeader, real: Float32Array, imag: Float32Array, label: string): void {
  const half = h.dim / h.heads / 2;
  if (h.seqLen < 2 || real.every((x) => x === 0)) return; // some exporters leave the unused tables zero
  for (let i = 0; i < half; i++) {
    const a = 1 / Math.pow(10000, (2 * i) / (2 * half)); // position 1
    if (Math.abs(real[half + i] - Math.cos(a)) > 1e-4 || Math.abs(imag[half + i] - Math.sin(a)) > 1e-4) {
      throw new Llama2cError(`${label}: the stored RoPE table does not match rope_theta 10000 at pair ${i}; this converter assumes it`);
    }
  }
}

export interface ConvertedCheckpoint {
  header: Llama2cHeader;
  config: Record<string, unknown>;
  generationConfig: Record<string, unknown>;
  safetensors: Uint8Array;
}

/** Converts the checkpoint bytes. Throws Llama2cError naming the expected and actual byte counts on a size mismatch. */
export function convertLlama2cCheckpoint(bytes: Uint8Array, label = 'checkpoint'): ConvertedCheckpoint {
  const h = parseLlama2cHeader(bytes, label);
  const want = expectedCheckpointBytes(h);
  if (bytes.byteLength !== want) {
    const what = bytes.byteLength < want ? 'truncated' : 'has trailing data (wrong header or format?)';
    throw new Llama2cError(`${label}: expected ${want} bytes for dim=${h.dim} hidden=${h.hiddenDim} layers=${h.layers} heads=${h.heads} kv_heads=${h.kvHeads} vocab=${h.vocabSize} seq_len=${h.seqLen} (${h.shared ? 'shared' : 'unshared'} classifier), got ${bytes.byteLength}: the file is ${what}`);
  }
  const arrays: Record<string, Float32Array> = {};
  let o = HEADER_BYTES;
  for (const t of layout(h)) {
    const n = t.shape.reduce((a, d) => a * d, 1);
    arrays[t.name] = new Float32Array(bytes.slice(o, o + 4 * n).buffer); // slice copies: aligned (pitfall 9)
    o += 4 * n;
  }
  checkRope(h, arrays.freq_cis_real, arrays.freq_cis_imag, label);
  const { dim: C, hiddenDim: I, kvHeads } = h;
  const KV = kvHeads * (C / h.heads);
  const layer = (name: string, l: number, size: number) => arrays[name].subarray(l * size, (l + 1) * size);
  const out: Record<string, WritableTensor> = { 'model.embed_tokens.weight': { shape: [h.vocabSize, C], data: arrays.token_embedding } };
  for (let l = 0; l < h.layers; l++) {
    const p = `model.layers.${l}`;
    out[`${p}.input_layernorm.weight`] = { shape: [C], data: layer('rms_att', l, C) };
    out[`${p}.self_attn.q_proj.weight`] = { shape: [C, C], data: permuteRope(layer('wq', l, C * C), h.heads, C) };
    out[`${p}.self_attn.k_proj.weight`] = { shape: [KV, C], data: permuteRope(layer('wk', l, KV * C), kvHeads, C) };
    out[`${p}.self_attn.v_proj.weight`] = { shape: [KV, C], data: layer('wv', l, KV * C) };
    out[`${p}.self_attn.o_proj.weight`] = { shape: [C, C], data: layer('wo', l, C * C) };
    out[`${p}.post_attention_layernorm.weight`] = { shape: [C], data: layer('rms_ffn', l, C) };
    out[`${p}.mlp.gate_proj.weight`] = { shape: [I, C], data: layer('w1', l, I * C) };
    out[`${p}.mlp.down_proj.weight`] = { shape: [C, I], data: layer('w2', l, C * I) };
    out[`${p}.mlp.up_proj.weight`] = { shape: [I, C], data: layer('w3', l, I * C) };
  }
  out['model.norm.weight'] = { shape: [C], data: arrays.rms_final };
  if (!h.shared) out['lm_head.weight'] = { shape: [h.vocabSize, C], data: arrays.wcls };
  const config = {
    architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: C, intermediate_size: I, num_hidden_layers: h.layers,
    num_attention_heads: h.heads, num_key_value_heads: kvHeads, vocab_size: h.vocabSize, max_position_embeddings: h.seqLen,
    rms_norm_eps: 1e-5, rope_theta: 10000, rope_scaling: null, hidden_act: 'silu', attention_bias: false, mlp_bias: false,
    tie_word_embeddings: h.shared, bos_token_id: 1, eos_token_id: 2, torch_dtype: 'float32',
  };
  // llama2.c models delimit stories with BOS (run.c stops when it samples id 1), so generation also stops there.
  const generationConfig = { bos_token_id: 1, eos_token_id: [2, 1] };
  return { header: h, config, generationConfig, safetensors: writeSafetensors(out, { format: 'pt' }) };
}
