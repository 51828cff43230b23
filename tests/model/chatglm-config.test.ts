/**
 * ChatGLM config.json parsing: both versions say model_type 'chatglm' and are told apart by their keys (the fixture
 * README's lists); THUDM's real configs give the right switches; what cannot be run is refused with one clear error.
 * The two base configs have the keys of THUDM/chatglm-6b's and chatglm2-6b's config.json, with the 6B sizes.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, hfModelType, parseConfig, roundToHalf, ropeInvFreq } from '../../src/model/config';

const CHATGLM_6B = { model_type: 'chatglm', vocab_size: 130528, hidden_size: 4096, num_layers: 28, num_attention_heads: 32, inner_hidden_size: 16384, layernorm_epsilon: 1e-5, max_sequence_length: 2048, position_encoding_2d: true, bos_token_id: 130004, eos_token_id: 130005, mask_token_id: 130000, gmask_token_id: 130001, pad_token_id: 3, quantization_bit: 0, pre_seq_len: null };
const CHATGLM2_6B = { model_type: 'chatglm', padded_vocab_size: 65024, vocab_size: 65024, hidden_size: 4096, num_layers: 28, num_attention_heads: 32, kv_channels: 128, multi_query_attention: true, multi_query_group_num: 2, ffn_hidden_size: 13696, layernorm_epsilon: 1e-5, seq_length: 32768, rmsnorm: true, add_qkv_bias: true, add_bias_linear: false, post_layer_norm: true, apply_residual_connection_post_layernorm: false, original_rope: true, tie_word_embeddings: false, eos_token_id: 2, pad_token_id: 0 };

describe('ChatGLM configs', () => {
  it('ChatGLM-6B: v1 switches; the omitted tie_word_embeddings ties the head (HF default); alpha is sqrt(2*28)', () => {
    const c = parseConfig(CHATGLM_6B);
    expect([c.family, hfModelType(c.family), c.headDim, c.kvHeads, c.intermediate, c.normKind, c.act, c.mlpKind, c.tieEmbeddings]).toEqual(['chatglm', 'chatglm', 128, 32, 16384, 'layer', 'gelu_tanh', 'plain', true]);
    expect(c.glm).toEqual({ version: 1, maskTokenId: 130000, gmaskTokenId: 130001, sopTokenId: 130004, alpha: Math.sqrt(56) });
    expect(parseConfig({ ...CHATGLM_6B, num_layers: 2 }).glm).toMatchObject({ alpha: Math.sqrt(56) }); // not sqrt(2*2)
    // 2-D RoPE: each half (64 dims) is rotated on its own, so 32 frequencies 10000^(-2i/64), rounded to float16.
    const inv = ropeInvFreq(c);
    expect(inv.length).toBe(32);
    expect([inv[0], inv[1], inv[31]]).toEqual([1, roundToHalf(Math.fround(10000 ** (-2 / 64))), roundToHalf(Math.fround(10000 ** (-62 / 64)))]);
  });

  it('ChatGLM2-6B (and ChatGLM3): multi-query groups, rotary on half the head in adjacent pairs, untied output_layer', () => {
    const c = parseConfig(CHATGLM2_6B);
    expect([c.family, hfModelType(c.family), c.headDim, c.kvHeads, c.rotaryDim, c.ropeStyle, c.normKind, c.act, c.mlpKind, c.tieEmbeddings, c.vocabSize]).toEqual(['chatglm2', 'chatglm', 128, 2, 64, 'interleaved', 'rms', 'silu', 'gated', false, 65024]);
    expect(ropeInvFreq(c).length).toBe(32);
    expect(parseConfig({ ...CHATGLM2_6B, rope_ratio: 50 }).ropeTheta).toBe(500000); // chatglm3-6b-32k
  });

  it('float16 rounding: nearest, ties to even (0.1 -> 0.0999755859375, the fixture README value)', () => {
    expect(roundToHalf(0.1)).toBe(0.0999755859375);
    expect(roundToHalf(1 + 2 ** -11)).toBe(1); // halfway between 1 and 1 + 2^-10: to even
    expect(roundToHalf(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9);
  });

  it.each([
    [{ ...CHATGLM_6B, kv_channels: 128 }, /cannot tell ChatGLM-6B .* from ChatGLM2\/3 .*keys of both/],
    [{ model_type: 'chatglm', hidden_size: 64, num_layers: 2, num_attention_heads: 4 }, /cannot tell .*neither/],
    [{ ...CHATGLM_6B, quantization_bit: 4 }, /quantization_bit 4: THUDM's pre-quantized checkpoints are not supported/],
    [{ ...CHATGLM2_6B, pre_seq_len: 128 }, /pre_seq_len: the built-in P-tuning v2 prefix is not supported/],
    [{ ...CHATGLM2_6B, rmsnorm: false }, /chatglm2 rmsnorm=false is not supported/],
  ])('refuses %#', (raw, msg) => {
    expect(() => parseConfig(raw)).toThrow(ConfigError);
    expect(() => parseConfig(raw)).toThrow(msg);
  });
});
