/**
 * HF module paths -> llama.cpp GGUF tensor names per family, and the row order llama.cpp's converter gives the base
 * weight (a LoRA's B must get the same rows: its A is shared, so only B's rows move).
 * Not handled (refused): embeddings (llama.cpp stores token_embd LoRA transposed), tied heads, MoE experts.
 * Source: llama.cpp gguf-py/gguf/tensor_mapping.py, conversion/{llama,bloom,gpt2,phi,gemma,qwen}.py, src/models/*.cpp.
 */
import type { Family } from '../model/config';

export class GgufExportError extends Error {
  override name = 'GgufExportError';
}

/**
 * `general.architecture` per family: llama.cpp refuses an adapter whose arch differs from the base model's.
 * MOSS has no llama.cpp architecture, so it has no entry (its LoRA exports as PEFT files or merged weights only).
 */
export const GGUF_ARCH: Partial<Record<Family, string>> = {
  llama: 'llama', qwen2: 'qwen2', gpt2: 'gpt2', bloom: 'bloom', phi3: 'phi3', gemma: 'gemma', gemma2: 'gemma2',
};

/**
 * How convert_hf_to_gguf reorders the rows ([out] axis) of the base weight:
 * - rope-q / rope-k: llama only (LlamaModel.permute). HF's rotate_half pairs (i, i+D/2) become adjacent (2i, 2i+1)
 *   because llama.cpp's LLAMA arch uses interleaved RoPE; k uses the KV head count.
 * - bloom-qkv: BLOOM's fused qkv is [H, 3, D] per head; the converter regroups it to [3, H, D] (q rows, k rows, v rows).
 */
export type RowOrder = 'none' | 'rope-q' | 'rope-k' | 'bloom-qkv';

export interface GgufTarget {
  /** llama.cpp base tensor, e.g. `blk.0.attn_q.weight`; the LoRA pair is `<name>.lora_a` / `<name>.lora_b`. */
  name: string;
  rows: RowOrder;
}

export interface NameOptions {
  /** true when the head shares the token embedding; llama.cpp then has no separate `output` tensor. */
  tiedEmbeddings?: boolean;
}

type Table = Record<string, [string, RowOrder]>;

const LLAMA_LIKE: Table = {
  'self_attn.q_proj': ['attn_q', 'none'],
  'self_attn.k_proj': ['attn_k', 'none'],
  'self_attn.v_proj': ['attn_v', 'none'],
  'self_attn.o_proj': ['attn_output', 'none'],
  'mlp.gate_proj': ['ffn_gate', 'none'],
  'mlp.up_proj': ['ffn_up', 'none'],
  'mlp.down_proj': ['ffn_down', 'none'],
};

const TABLES: Partial<Record<Family, Table>> = {
  llama: { ...LLAMA_LIKE, 'self_attn.q_proj': ['attn_q', 'rope-q'], 'self_attn.k_proj': ['attn_k', 'rope-k'] },
  qwen2: LLAMA_LIKE,
  gemma: LLAMA_LIKE,
  gemma2: LLAMA_LIKE,
  // Phi-3 keeps both fusions in llama.cpp: attn_qkv rows [q; k; v], and ffn_up rows [gate; up] split in-graph by
  // SWIGLU (first half gated). So a gate_up_proj LoRA maps onto ffn_up whole: no split is needed.
  phi3: {
    'self_attn.qkv_proj': ['attn_qkv', 'none'],
    'self_attn.o_proj': ['attn_output', 'none'],
    'mlp.gate_up_proj': ['ffn_up', 'none'],
    'mlp.down_proj': ['ffn_down', 'none'],
  },
  // Conv1D modules: PEFT (fan_in_fan_out) still stores A [r, in] and B [out, r], which is already llama.cpp's
  // orientation for the transposed base weight, so nothing is transposed here (see gguf.ts).
  gpt2: {
    'attn.c_attn': ['attn_qkv', 'none'],
    'attn.c_proj': ['attn_output', 'none'],
    'mlp.c_fc': ['ffn_up', 'none'],
    'mlp.c_proj': ['ffn_down', 'none'],
  },
  bloom: {
    'self_attention.query_key_value': ['attn_qkv', 'bloom-qkv'],
    'self_attention.dense': ['attn_output', 'none'],
    'mlp.dense_h_to_4h': ['ffn_up', 'none'],
    'mlp.dense_4h_to_h': ['ffn_down', 'none'],
  },
};

const LAYER_PREFIX: Partial<Record<Family, string>> = {
  llama: 'model.layers', qwen2: 'model.layers', phi3: 'model.layers', gemma: 'model.layers', gemma2: 'model.layers',
  gpt2: 'transformer.h', bloom: 'transformer.h',
};

const EMBEDDINGS = /(^|\.)(embed_tokens|wte|wpe|word_embeddings)$/;

/** Maps an HF module path (no `base_model.model.` prefix, no `.lora_A.weight`) to its llama.cpp tensor. */
export function ggufTarget(family: Family, path: string, opts: NameOptions = {}): GgufTarget {
  const table = TABLES[family];
  if (!table) throw new GgufExportError(`family '${family}' has no GGUF mapping (known: ${Object.keys(TABLES).join(', ')})`);
  if (path === 'lm_head') return { name: headName(family, opts), rows: 'none' };
  if (EMBEDDINGS.test(path)) {
    throw new GgufExportError(`${path}: LoRA on embeddings is not exported (llama.cpp applies token_embd adapters transposed with their own key names); merge it into the model instead`);
  }
  const prefix = LAYER_PREFIX[family]!;
  const m = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)\\.(.+)$`).exec(path);
  const hit = m ? table[m[2]] : undefined;
  if (!m || !hit) {
    const known = Object.keys(table).map((k) => `${prefix}.N.${k}`).join(', ');
    throw new GgufExportError(`${path}: no llama.cpp ${GGUF_ARCH[family]} tensor takes a LoRA on this module (supported: ${known}, lm_head)`);
  }
  return { name: `blk.${Number(m[1])}.${hit[0]}.weight`, rows: hit[1] };
}

function headName(family: Family, opts: NameOptions): string {
  if (family === 'gpt2' || family === 'bloom' || family === 'gemma' || family === 'gemma2') {
    throw new GgufExportError(`lm_head: ${family} ties the head to token_embd in llama.cpp, so there is no output tensor to attach a LoRA to; merge it instead`);
  }
  if (opts.tiedEmbeddings !== false) {
    throw new GgufExportError(`lm_head: exporting a head LoRA needs tiedEmbeddings: false (a tied model has no llama.cpp output tensor)`);
  }
  return 'output.weight';
}

/**
 * src[i] = the HF row that lands at llama.cpp row i, for a [rows, *] matrix. `heads` is H (rope-q, bloom-qkv) or
 * Hkv (rope-k).
 */
export function rowSource(order: RowOrder, rows: number, heads = 0): Int32Array {
  const src = new Int32Array(rows);
  if (order === 'none') {
    for (let i = 0; i < rows; i++) src[i] = i;
    return src;
  }
  const parts = order === 'bloom-qkv' ? 3 : 1;
  const D = rows / parts / heads;
  if (!(heads > 0) || !Number.isInteger(D) || (order !== 'bloom-qkv' && D % 2 !== 0)) {
    throw new GgufExportError(`${order}: ${rows} rows do not split into ${heads} heads${parts === 3 ? ' x 3 (q, k, v)' : ' of even width'}`);
  }
  if (order === 'bloom-qkv') {
    // llama.cpp row (s, h, d) <- HF row (h, s, d); s in {q, k, v}.
    for (let s = 0; s < 3; s++) for (let h = 0; h < heads; h++) for (let d = 0; d < D; d++) src[(s * heads + h) * D + d] = (h * 3 + s) * D + d;
    return src;
  }
  // rope: llama.cpp row (h, j, t) <- HF row (h, t, j), j < D/2, t in {0, 1}: the halves are interleaved.
  const half = D / 2;
  for (let h = 0; h < heads; h++) for (let j = 0; j < half; j++) for (let t = 0; t < 2; t++) src[h * D + 2 * j + t] = h * D + t * half + j;
  return src;
}
