/**
 * THE table from HF tensor names to ours, per family, with the expected shape of each tensor.
 * Our linear weights are stored [in, out] (the layout wasm matmul is fast in), so HF nn.Linear [out, in] is
 * transposed once at load. The one trap: GPT-2's Conv1D is ALREADY [in, out] and must NOT be transposed.
 * Fused projections (gpt2 c_attn, bloom query_key_value, phi3 qkv_proj/gate_up_proj, moss qkv_proj) stay fused, as in PEFT.
 */
import type { Family, ModelConfig } from './config';

export type WeightKind = 'linear' | 'conv1d' | 'vector' | 'embedding';

export interface WeightSpec {
  /** HF name, with {i} for the layer index. */
  hf: string;
  /** Our name, with {i}. Linear weights end in `.w`, biases `.b`. */
  ours: string;
  kind: WeightKind;
  /** Expected shape in OUR layout. */
  shape: (c: ModelConfig) => number[];
  optional?: boolean;
}

const V = (c: ModelConfig) => c.vocabSize;
const C = (c: ModelConfig) => c.hidden;
const QD = (c: ModelConfig) => c.heads * c.headDim;
const KVD = (c: ModelConfig) => c.kvHeads * c.headDim;
const I = (c: ModelConfig) => c.intermediate;

const lin = (hf: string, ours: string, inD: (c: ModelConfig) => number, outD: (c: ModelConfig) => number, bias: boolean | 'optional'): WeightSpec[] => {
  const w: WeightSpec = { hf: `${hf}.weight`, ours: `${ours}.w`, kind: 'linear', shape: (c) => [inD(c), outD(c)] };
  if (!bias) return [w];
  return [w, { hf: `${hf}.bias`, ours: `${ours}.b`, kind: 'vector', shape: (c) => [outD(c)], optional: bias === 'optional' }];
};
const conv = (hf: string, ours: string, inD: (c: ModelConfig) => number, outD: (c: ModelConfig) => number): WeightSpec[] => [
  { hf: `${hf}.weight`, ours: `${ours}.w`, kind: 'conv1d', shape: (c) => [inD(c), outD(c)] },
  { hf: `${hf}.bias`, ours: `${ours}.b`, kind: 'vector', shape: (c) => [outD(c)] },
];
const vec = (hf: string, ours: string, n: (c: ModelConfig) => number = C): WeightSpec => ({ hf, ours, kind: 'vector', shape: (c) => [n(c)] });
const norm = (hf: string, ours: string, bias: boolean): WeightSpec[] =>
  bias ? [vec(`${hf}.weight`, `${ours}.w`), vec(`${hf}.bias`, `${ours}.b`)] : [vec(`${hf}.weight`, `${ours}.w`)];

function llamaLike(prefix: string, qkvBias: boolean | 'optional', extraNorms: boolean): WeightSpec[] {
  const L = `${prefix}layers.{i}`;
  return [
    { hf: `${prefix}embed_tokens.weight`, ours: 'embed', kind: 'embedding', shape: (c) => [V(c), C(c)] },
    ...norm(`${L}.input_layernorm`, 'layers.{i}.attn_norm', false),
    ...lin(`${L}.self_attn.q_proj`, 'layers.{i}.q', C, QD, qkvBias),
    ...lin(`${L}.self_attn.k_proj`, 'layers.{i}.k', C, KVD, qkvBias),
    ...lin(`${L}.self_attn.v_proj`, 'layers.{i}.v', C, KVD, qkvBias),
    ...lin(`${L}.self_attn.o_proj`, 'layers.{i}.o', QD, C, qkvBias === 'optional' ? 'optional' : false),
    ...(extraNorms
      ? [
          ...norm(`${L}.post_attention_layernorm`, 'layers.{i}.post_attn_norm', false),
          ...norm(`${L}.pre_feedforward_layernorm`, 'layers.{i}.mlp_norm', false),
          ...norm(`${L}.post_feedforward_layernorm`, 'layers.{i}.post_mlp_norm', false),
        ]
      : norm(`${L}.post_attention_layernorm`, 'layers.{i}.mlp_norm', false)),
    ...lin(`${L}.mlp.gate_proj`, 'layers.{i}.gate', C, I, qkvBias === 'optional' ? 'optional' : false),
    ...lin(`${L}.mlp.up_proj`, 'layers.{i}.up', C, I, qkvBias === 'optional' ? 'optional' : false),
    ...lin(`${L}.mlp.down_proj`, 'layers.{i}.down', I, C, qkvBias === 'optional' ? 'optional' : false),
    ...norm(`${prefix}norm`, 'final_norm', false),
    { hf: 'lm_head.weight', ours: 'lm_head.w', kind: 'linear', shape: (c) => [C(c), V(c)], optional: true },
  ];
}

export const WEIGHT_TABLE: Record<Family, WeightSpec[]> = {
  // attention_bias / mlp_bias are optional on llama: present in a few checkpoints, absent in most.
  llama: llamaLike('model.', 'optional', false),
  qwen2: llamaLike('model.', true, false).map((s) => (/\.o\.b$/.test(s.ours) ? { ...s, optional: true } : s)),
  gemma: llamaLike('model.', false, false),
  gemma2: llamaLike('model.', false, true),
  phi3: [
    { hf: 'model.embed_tokens.weight', ours: 'embed', kind: 'embedding', shape: (c) => [V(c), C(c)] },
    ...norm('model.layers.{i}.input_layernorm', 'layers.{i}.attn_norm', false),
    ...lin('model.layers.{i}.self_attn.qkv_proj', 'layers.{i}.qkv', C, (c) => QD(c) + 2 * KVD(c), false),
    ...lin('model.layers.{i}.self_attn.o_proj', 'layers.{i}.o', QD, C, false),
    ...norm('model.layers.{i}.post_attention_layernorm', 'layers.{i}.mlp_norm', false),
    ...lin('model.layers.{i}.mlp.gate_up_proj', 'layers.{i}.gate_up', C, (c) => 2 * I(c), false),
    ...lin('model.layers.{i}.mlp.down_proj', 'layers.{i}.down', I, C, false),
    ...norm('model.norm', 'final_norm', false),
    { hf: 'lm_head.weight', ours: 'lm_head.w', kind: 'linear', shape: (c) => [C(c), V(c)], optional: true },
  ],
  gpt2: [
    { hf: 'transformer.wte.weight', ours: 'embed', kind: 'embedding', shape: (c) => [V(c), C(c)] },
    { hf: 'transformer.wpe.weight', ours: 'pos_embed', kind: 'embedding', shape: (c) => [c.maxPositions, C(c)] },
    ...norm('transformer.h.{i}.ln_1', 'layers.{i}.attn_norm', true),
    ...conv('transformer.h.{i}.attn.c_attn', 'layers.{i}.qkv', C, (c) => 3 * C(c)),
    ...conv('transformer.h.{i}.attn.c_proj', 'layers.{i}.o', C, C),
    ...norm('transformer.h.{i}.ln_2', 'layers.{i}.mlp_norm', true),
    ...conv('transformer.h.{i}.mlp.c_fc', 'layers.{i}.up', C, I),
    ...conv('transformer.h.{i}.mlp.c_proj', 'layers.{i}.down', I, C),
    ...norm('transformer.ln_f', 'final_norm', true),
  ],
  bloom: [
    { hf: 'transformer.word_embeddings.weight', ours: 'embed', kind: 'embedding', shape: (c) => [V(c), C(c)] },
    ...norm('transformer.word_embeddings_layernorm', 'embed_norm', true),
    ...norm('transformer.h.{i}.input_layernorm', 'layers.{i}.attn_norm', true),
    // Rows of query_key_value are interleaved per head: [H, 3, D]. The forward splits them that way.
    ...lin('transformer.h.{i}.self_attention.query_key_value', 'layers.{i}.qkv', C, (c) => 3 * C(c), true),
    ...lin('transformer.h.{i}.self_attention.dense', 'layers.{i}.o', C, C, true),
    ...norm('transformer.h.{i}.post_attention_layernorm', 'layers.{i}.mlp_norm', true),
    ...lin('transformer.h.{i}.mlp.dense_h_to_4h', 'layers.{i}.up', C, I, true),
    ...lin('transformer.h.{i}.mlp.dense_4h_to_h', 'layers.{i}.down', I, C, true),
    ...norm('transformer.ln_f', 'final_norm', true),
  ],
  // MOSS: qkv_proj rows are 4 chunks of [q | v | k] (families/moss.ts splits them). The checkpoint's BOOL
  // attn.causal_mask buffers are constants the loader never reads. The head has a bias.
  moss: [
    { hf: 'transformer.wte.weight', ours: 'embed', kind: 'embedding', shape: (c) => [V(c), C(c)] },
    ...norm('transformer.h.{i}.ln_1', 'layers.{i}.attn_norm', true),
    ...lin('transformer.h.{i}.attn.qkv_proj', 'layers.{i}.qkv', C, (c) => 3 * C(c), false),
    ...lin('transformer.h.{i}.attn.out_proj', 'layers.{i}.o', C, C, false),
    ...lin('transformer.h.{i}.mlp.fc_in', 'layers.{i}.up', C, I, true),
    ...lin('transformer.h.{i}.mlp.fc_out', 'layers.{i}.down', I, C, true),
    ...norm('transformer.ln_f', 'final_norm', true),
    { hf: 'lm_head.weight', ours: 'lm_head.w', kind: 'linear', shape: (c) => [C(c), V(c)], optional: true },
    vec('lm_head.bias', 'lm_head.b', V),
  ],
  // ChatGLM-6B: query_key_value rows are interleaved per head, [H, 3, D] as BLOOM's; the residual weighting and
  // 2-D positions are in families/chatglm.ts. The rotary_emb.inv_freq buffers are not read (the class recomputes them).
  chatglm: [
    { hf: 'transformer.word_embeddings.weight', ours: 'embed', kind: 'embedding', shape: (c) => [V(c), C(c)] },
    ...norm('transformer.layers.{i}.input_layernorm', 'layers.{i}.attn_norm', true),
    ...lin('transformer.layers.{i}.attention.query_key_value', 'layers.{i}.qkv', C, (c) => 3 * QD(c), true),
    ...lin('transformer.layers.{i}.attention.dense', 'layers.{i}.o', QD, C, true),
    ...norm('transformer.layers.{i}.post_attention_layernorm', 'layers.{i}.mlp_norm', true),
    ...lin('transformer.layers.{i}.mlp.dense_h_to_4h', 'layers.{i}.up', C, I, true),
    ...lin('transformer.layers.{i}.mlp.dense_4h_to_h', 'layers.{i}.down', I, C, true),
    ...norm('transformer.final_layernorm', 'final_norm', true),
    { hf: 'lm_head.weight', ours: 'lm_head.w', kind: 'linear', shape: (c) => [C(c), V(c)], optional: true },
  ],
  // ChatGLM2/3: query_key_value rows are [q (H*D); k (G*D); v (G*D)] with a bias (add_qkv_bias), dense_h_to_4h rows
  // [gate (I); up (I)], no other biases (add_bias_linear false); the head is transformer.output_layer.
  chatglm2: [
    { hf: 'transformer.embedding.word_embeddings.weight', ours: 'embed', kind: 'embedding', shape: (c) => [V(c), C(c)] },
    ...norm('transformer.encoder.layers.{i}.input_layernorm', 'layers.{i}.attn_norm', false),
    ...lin('transformer.encoder.layers.{i}.self_attention.query_key_value', 'layers.{i}.qkv', C, (c) => QD(c) + 2 * KVD(c), true),
    ...lin('transformer.encoder.layers.{i}.self_attention.dense', 'layers.{i}.o', QD, C, false),
    ...norm('transformer.encoder.layers.{i}.post_attention_layernorm', 'layers.{i}.mlp_norm', false),
    ...lin('transformer.encoder.layers.{i}.mlp.dense_h_to_4h', 'layers.{i}.gate_up', C, (c) => 2 * I(c), false),
    ...lin('transformer.encoder.layers.{i}.mlp.dense_4h_to_h', 'layers.{i}.down', I, C, false),
    ...norm('transformer.encoder.final_layernorm', 'final_norm', false),
    { hf: 'transformer.output_layer.weight', ours: 'lm_head.w', kind: 'linear', shape: (c) => [C(c), V(c)], optional: true },
  ],
};

/** HF's base_model_prefix: some checkpoints (original gpt2, bloom-560m) store names without it. */
export const BASE_PREFIX: Record<Family, string> = {
  llama: 'model.', qwen2: 'model.', gemma: 'model.', gemma2: 'model.', phi3: 'model.', gpt2: 'transformer.', bloom: 'transformer.',
  moss: 'transformer.', chatglm: 'transformer.', chatglm2: 'transformer.',
};

export interface ExpandedSpec extends WeightSpec {
  layer: number | null;
}

/** The table with {i} expanded for every layer. */
export function expandTable(cfg: ModelConfig): ExpandedSpec[] {
  const out: ExpandedSpec[] = [];
  for (const s of WEIGHT_TABLE[cfg.family]) {
    if (!s.hf.includes('{i}')) out.push({ ...s, layer: null });
    else for (let i = 0; i < cfg.layers; i++) out.push({ ...s, hf: s.hf.replace('{i}', String(i)), ours: s.ours.replace('{i}', String(i)), layer: i });
  }
  return out;
}

/** Linear modules by our name (without `.w`) -> HF module path (without `.weight`). PEFT targets these paths. */
export function linearModules(cfg: ModelConfig): { ours: string; hf: string; conv1d: boolean; inDim: number; outDim: number }[] {
  return expandTable(cfg)
    .filter((s) => (s.kind === 'linear' || s.kind === 'conv1d') && s.ours !== 'lm_head.w')
    .map((s) => {
      const [inDim, outDim] = s.shape(cfg);
      return { ours: s.ours.slice(0, -2), hf: s.hf.slice(0, -'.weight'.length), conv1d: s.kind === 'conv1d', inDim, outDim };
    });
}
