/**
 * A tiny hand-built sentencepiece-style BPE tokenizer.json (+ tokenizer_config.json) for tokenizer tests, with ids
 * worked out by hand: "hello world" -> '▁hello▁world' -> merges in rank order -> [▁hello (15), ▁world (20)].
 * Specials: <unk> 0, <s> 1, </s> 2, <|im_start|> 30, <|im_end|> 31; byte pieces for '!' and 'é' only.
 */
const PIECES = ['<unk>', '<s>', '</s>', '▁', 'h', 'e', 'l', 'o', 'w', 'r', 'd', 'll', 'he', 'hell', 'hello', '▁hello', '▁w', 'or', '▁wor', 'ld', '▁world', '<0x21>', '<0xC3>', '<0xA9>'];
export const IM_START = 30, IM_END = 31;

export function tinyTokenizerJson(): Record<string, unknown> {
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>'), special(IM_START, '<|im_start|>'), special(IM_END, '<|im_end|>')],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }],
    },
    model: {
      type: 'BPE', unk_token: '<unk>', fuse_unk: true, byte_fallback: true,
      vocab: Object.fromEntries(PIECES.map((p, i) => [p, i])),
      merges: ['l l', 'h e', 'he ll', 'hell o', '▁ hello', '▁ w', 'o r', '▁w or', 'l d', '▁wor ld'],
    },
  };
}

export const TINY_CONFIG = {
  bos_token: '<s>',
  eos_token: { content: '<|im_end|>', lstrip: false, normalized: false, rstrip: false, single_word: false, special: true },
  pad_token: '</s>',
  unk_token: '<unk>',
  clean_up_tokenization_spaces: false,
};
