/**
 * HF module -> llama.cpp tensor names per family, the row orders llama.cpp's converter applies, and the clear
 * refusals for adapters llama.cpp cannot load.
 */
import { describe, expect, it } from 'vitest';
import { GGUF_ARCH, GgufExportError, ggufTarget, rowSource } from '../../src/peft/gguf-names';
import { exportLoraGguf, type LoraGgufInput } from '../../src/peft/gguf';
import type { Family } from '../../src/model/config';

describe('GGUF tensor names', () => {
  it('maps HF module paths to llama.cpp names per family', () => {
    const cases: [Family, string, string, string][] = [
      ['llama', 'model.layers.0.self_attn.q_proj', 'blk.0.attn_q.weight', 'rope-q'],
      ['llama', 'model.layers.3.self_attn.k_proj', 'blk.3.attn_k.weight', 'rope-k'],
      ['llama', 'model.layers.11.mlp.down_proj', 'blk.11.ffn_down.weight', 'none'],
      ['llama', 'model.layers.0.mlp.gate_proj', 'blk.0.ffn_gate.weight', 'none'],
      ['qwen2', 'model.layers.0.self_attn.q_proj', 'blk.0.attn_q.weight', 'none'], // NEOX RoPE: no permutation
      ['gemma2', 'model.layers.1.self_attn.o_proj', 'blk.1.attn_output.weight', 'none'],
      ['gpt2', 'transformer.h.0.attn.c_attn', 'blk.0.attn_qkv.weight', 'none'],
      ['gpt2', 'transformer.h.0.attn.c_proj', 'blk.0.attn_output.weight', 'none'],
      ['gpt2', 'transformer.h.0.mlp.c_proj', 'blk.0.ffn_down.weight', 'none'],
      ['bloom', 'transformer.h.0.self_attention.query_key_value', 'blk.0.attn_qkv.weight', 'bloom-qkv'],
      ['bloom', 'transformer.h.2.mlp.dense_4h_to_h', 'blk.2.ffn_down.weight', 'none'],
      ['phi3', 'model.layers.0.self_attn.qkv_proj', 'blk.0.attn_qkv.weight', 'none'],
      ['phi3', 'model.layers.0.mlp.gate_up_proj', 'blk.0.ffn_up.weight', 'none'], // stays fused in llama.cpp
    ];
    for (const [family, p, name, rows] of cases) expect(ggufTarget(family, p), `${family} ${p}`).toEqual({ name, rows });
    expect(ggufTarget('llama', 'lm_head', { tiedEmbeddings: false })).toEqual({ name: 'output.weight', rows: 'none' });
    expect(Object.values(GGUF_ARCH)).toEqual(['llama', 'qwen2', 'gpt2', 'bloom', 'phi3', 'gemma', 'gemma2']);
  });

  it('computes the converter row orders on a hand-checked example', () => {
    // rope, 1 head of D=4: HF rows [x0 x1 | y0 y1] (pairs i, i+2) -> llama.cpp [x0 y0 x1 y1].
    expect(Array.from(rowSource('rope-q', 4, 1))).toEqual([0, 2, 1, 3]);
    // 2 heads of D=4: the same inside each head.
    expect(Array.from(rowSource('rope-k', 8, 2))).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
    // bloom, 2 heads of D=1: HF [q0 k0 v0 q1 k1 v1] -> [q0 q1 k0 k1 v0 v1].
    expect(Array.from(rowSource('bloom-qkv', 6, 2))).toEqual([0, 3, 1, 4, 2, 5]);
    expect(Array.from(rowSource('none', 3))).toEqual([0, 1, 2]);
    expect(() => rowSource('rope-q', 6, 2)).toThrow(/even width/);
    expect(() => rowSource('bloom-qkv', 8, 2)).toThrow(/x 3/);
  });

  it('refuses modules llama.cpp cannot take a LoRA on, with the reason', () => {
    expect(() => ggufTarget('gemma', 'lm_head')).toThrow(/ties the head to token_embd/);
    expect(() => ggufTarget('llama', 'lm_head')).toThrow(/tiedEmbeddings: false/);
    expect(() => ggufTarget('llama', 'model.embed_tokens')).toThrow(/embeddings is not exported/);
    expect(() => ggufTarget('gpt2', 'transformer.wte')).toThrow(/embeddings/);
    expect(() => ggufTarget('phi3', 'model.layers.0.self_attn.q_proj')).toThrow(/no llama.cpp phi3 tensor.*qkv_proj/);
    expect(() => ggufTarget('gpt2', 'model.layers.0.self_attn.q_proj')).toThrow(GgufExportError);
    expect(() => ggufTarget('llama' as Family, 'model.layers.0.self_attn.rotary_emb')).toThrow(/supported: model\.layers\.N\.self_attn\.q_proj/);
    expect(() => ggufTarget('mistral' as Family, 'model.layers.0.self_attn.q_proj')).toThrow(/no GGUF mapping/);
  });
});

describe('exportLoraGguf refusals', () => {
  const A = { shape: [2, 4], data: new Float32Array(8) };
  const B = { shape: [4, 2], data: new Float32Array(8) };
  const key = (m: string, ab: 'A' | 'B') => `base_model.model.${m}.lora_${ab}.weight`;
  const base = (tensors: [string, { shape: number[]; data: Float32Array }][], extra: Partial<LoraGgufInput> = {}): LoraGgufInput =>
    ({ family: 'qwen2', alpha: 4, r: 2, useRslora: false, tensors: new Map(tensors), ...extra });
  const v = 'model.layers.0.self_attn.v_proj';

  it('exports a minimal valid adapter', () => {
    expect(exportLoraGguf(base([[key(v, 'A'), A], [key(v, 'B'), B]])).length).toBeGreaterThan(0);
  });

  it('refuses broken or unsupported adapters with clear messages', () => {
    expect(() => exportLoraGguf(base([[key(v, 'A'), A]]))).toThrow(/lora_B is missing/);
    expect(() => exportLoraGguf(base([[key(v, 'A'), A], [key(v, 'B'), B]], { r: 4 }))).toThrow(/expected A \[r=4, in\]/);
    expect(() => exportLoraGguf(base([[key(v, 'A'), A], [key(v, 'B'), B]], { alpha: 0 }))).toThrow(/alpha 0 must be a positive/);
    expect(() => exportLoraGguf(base([]))).toThrow(/no LoRA tensors/);
    expect(() => exportLoraGguf(base([['base_model.model.model.embed_tokens.lora_embedding_A', A]]))).toThrow(/embedding LoRA is not exported/);
    expect(() => exportLoraGguf(base([[`base_model.model.${v}.lora_magnitude_vector`, A]]))).toThrow(/DoRA/);
    expect(() => exportLoraGguf(base([[key('lm_head', 'A'), A], [key('lm_head', 'B'), B]], { family: 'gemma' }))).toThrow(/ties the head/);
    const q = 'model.layers.0.self_attn.q_proj';
    expect(() => exportLoraGguf(base([[key(q, 'A'), A], [key(q, 'B'), B]], { family: 'llama' }))).toThrow(/needs heads/);
    expect(() => exportLoraGguf(base([[key(q, 'A'), A], [key(q, 'B'), B]], { family: 'llama', heads: 3 }))).toThrow(/do not split into 3 heads/);
  });
});
