/**
 * The BPE tokenizer builder, run through @huggingface/tokenizers (tokenizer.ts): text round-trips exactly, unseen
 * characters fall back to <0xNN> bytes, digits are never merged, merges are learned from frequency (a frequent
 * word becomes one token), specials sit at fixed ids, and training is deterministic.
 */
import { describe, expect, it } from 'vitest';
import { bpeTokenizerConfig, bpeTokenizerJson, trainBpe } from '../../src/tokenizer/byte-level';
import { loadTokenizer } from '../../src/tokenizer/tokenizer';

const TEXTS = Array.from({ length: 50 }, (_, i) => `the cat has ${i} apples.\n小明有${i}个苹果。 the answer is ${i * 7}.`);

describe('byte-level BPE tokenizer', () => {
  const vocab = trainBpe(TEXTS, { numMerges: 40 });
  const tok = loadTokenizer(bpeTokenizerJson(vocab), bpeTokenizerConfig(256));

  it('puts specials at 0..3 and bos first', () => {
    expect([tok.tokenToId('<unk>'), tok.bosTokenId, tok.eosTokenId, tok.padTokenId]).toEqual([0, 1, 2, 3]);
    expect(tok.encode('the cat')[0]).toBe(1);
    expect(tok.tokenToId('<0x41>')).toBe(4 + 0x41);
  });

  it('round-trips seen and unseen text (byte fallback for unseen characters)', () => {
    for (const s of ['the cat has 12 apples.', '小明有3个苹果。', 'Zebra ü 龍 42!', 'two\n\nlines  double space']) {
      expect(tok.decode(tok.encode(s), { skipSpecialTokens: true })).toBe(s);
    }
    expect(tok.tokenize('龍')).toEqual(['▁', '<0xE9>', '<0xBE>', '<0x8D>']);
  });

  it('learns frequent words as one token and never merges digits', () => {
    expect(tok.tokenize('the cat')).toEqual(['▁the', '▁cat']);
    expect(tok.tokenize('the answer is 147')).toEqual(expect.arrayContaining(['1', '4', '7']));
    for (const [a, b] of vocab.merges) expect(/[0-9]/.test(a + b)).toBe(false);
  });

  it('is deterministic', () => {
    expect(trainBpe(TEXTS, { numMerges: 40 })).toEqual(vocab);
  });
});
