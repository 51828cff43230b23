/**
 * TextTokenizer over a tiny hand-built sentencepiece-style BPE tokenizer.json, with ids worked out by hand:
 * "hello world" -> '▁hello▁world' -> merges in rank order -> [▁hello, ▁world]. Covers special tokens from
 * tokenizer_config.json (string and AddedToken-object forms), byte fallback, unk, and decode round trips.
 */
import { describe, expect, it } from 'vitest';
import { TextTokenizer, TokenizerError, loadTokenizer } from '../../src/tokenizer/tokenizer';
import { IM_END, IM_START, TINY_CONFIG, tinyTokenizerJson } from './tiny-tokenizer';

describe('TextTokenizer (tiny hand-built BPE)', () => {
  const tok = loadTokenizer(tinyTokenizerJson(), TINY_CONFIG);

  it('encodes by the merge ranks, with and without the post-processor bos', () => {
    expect(tok.tokenize('hello world')).toEqual(['▁hello', '▁world']);
    expect(tok.encode('hello world')).toEqual([1, 15, 20]);
    expect(tok.encode('hello world', { addSpecialTokens: false })).toEqual([15, 20]);
    expect(tok.encode('')).toEqual([1]);
    expect(tok.encode('', { addSpecialTokens: false })).toEqual([]);
  });

  it('falls back to bytes, and to <unk> when a byte piece is missing', () => {
    expect(tok.encode('hello!', { addSpecialTokens: false })).toEqual([15, 21]);
    expect(tok.encode('é', { addSpecialTokens: false })).toEqual([3, 22, 23]);
    expect(tok.encode('z', { addSpecialTokens: false })).toEqual([3, 0]);
  });

  it('splits special tokens out of the text before normalising each section', () => {
    expect(tok.encode('<|im_start|>hello world<|im_end|>', { addSpecialTokens: false })).toEqual([IM_START, 15, 20, IM_END]);
  });

  it('reads bos/eos/pad from tokenizer_config.json (string and object forms)', () => {
    expect([tok.bosToken, tok.eosToken, tok.padToken, tok.unkToken]).toEqual(['<s>', '<|im_end|>', '</s>', '<unk>']);
    expect([tok.bosTokenId, tok.eosTokenId, tok.padTokenId]).toEqual([1, IM_END, 2]);
    expect(tok.vocabSize).toBe(32);
    expect(tok.addsBos).toBe(true);
    expect(tok.specialIds().sort((a, b) => a - b)).toEqual([0, 1, 2, IM_START, IM_END]);
    expect(tok.chatTemplate).toBeNull();
  });

  it('decodes: round trip, byte fusion, special tokens kept or skipped, empty input', () => {
    for (const text of ['hello world', 'hello! é', 'world hello']) expect(tok.decode(tok.encode(text), { skipSpecialTokens: true })).toBe(text);
    expect(tok.decode([15, 20])).toBe('hello world');
    expect(tok.decode([3, 22, 23])).toBe('é');
    expect(tok.decode([1, 15, IM_END])).toBe('<s> hello<|im_end|>');
    expect(tok.decode([1, 15, IM_END], { skipSpecialTokens: true })).toBe('hello');
    expect(tok.decode([])).toBe('');
    expect([tok.idToToken(15), tok.tokenToId('▁world'), tok.tokenToId('nope')]).toEqual(['▁hello', 20, null]);
  });

  it('without tokenizer_config.json: no special token names, no template', () => {
    const bare = new TextTokenizer(tinyTokenizerJson());
    expect([bare.bosTokenId, bare.eosTokenId, bare.chatTemplate]).toEqual([null, null, null]);
    expect(bare.encode('hello')).toEqual([1, 15]);
  });

  it('refuses a file that is not a fast-tokenizer tokenizer.json', () => {
    expect(() => new TextTokenizer({ version: '1.0' })).toThrow(TokenizerError);
    expect(() => new TextTokenizer({ model: { type: 'Nope' } })).toThrow(/could not be loaded/);
  });
});
