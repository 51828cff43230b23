/**
 * The HF tokenizer.json of a Llama-style sentencepiece BPE (legacy layout): '▁' prepended and spaces as '▁', byte
 * fallback, bos added by the post-processor, decoder Replace/ByteFallback/Fuse/Strip. Shared by the llama2.c
 * converter and our own BPE trainer, which differ only in their pieces, merges and special tokens (ids 0..n-1).
 */

/** added_tokens flags of a special token, as HF writes them. */
export const SPECIAL_FLAGS = { single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };

export function llamaBpeTokenizerJson(pieces: string[], merges: [string, string][], specials: string[]): Record<string, unknown> {
  const v: Record<string, number> = {};
  pieces.forEach((p, i) => (v[p] = i));
  const bos = { SpecialToken: { id: '<s>', type_id: 0 } };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, id) => ({ id, content, ...SPECIAL_FLAGS })),
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [bos, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [bos, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }],
    },
    model: {
      type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab: v, merges,
    },
  };
}
