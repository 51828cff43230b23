/**
 * The tokenizer.json made from a llama2.c tokenizer.bin, run through @huggingface/tokenizers, against an independent
 * plain-TS transcription of llama2.c's own `encode()` (run.c): dummy-prefix space, per-code-point lookup with
 * byte fallback (+3), then repeatedly merge the adjacent pair whose concatenation has the best score (leftmost on ties).
 * Both the 512-token stories260K vocabulary and the 32k Llama-2 vocabulary are checked, plus decode round trips.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { haveShared, sharedPath } from '../helpers/fixtures';
import { llamaTokenizerConfig, llamaTokenizerJson, mergesFromScores, parseLlama2cTokenizer } from '../../src/tokenizer/llama2c-tokenizer';
import { TextTokenizer } from '../../src/tokenizer/tokenizer';

const TOK512 = sharedPath('data/tiny-models/stories260K/tok512.bin');
const TOK32K = sharedPath('data/tiny-models/llama2-tokenizer/tokenizer.bin');

/** The oracle: llama2.c run.c `encode(t, text, bos, eos, ...)`, reading tokenizer.bin itself (raw ' ' pieces). */
function llama2cEncoder(file: string): (text: string, bos: boolean) => number[] {
  const b = readFileSync(file);
  const vocab: string[] = [], scores: number[] = [];
  for (let o = 4; o < b.length; ) {
    const score = b.readFloatLE(o), len = b.readInt32LE(o + 4);
    vocab.push(b.subarray(o + 8, o + 8 + len).toString('utf8'));
    scores.push(score);
    o += 8 + len;
  }
  const lookup = new Map(vocab.map((s, i) => [s, i]));
  return (text, bos) => {
    const tokens: number[] = bos ? [1] : [];
    if (text !== '') tokens.push(lookup.get(' ')!); // add_dummy_prefix
    for (const cp of text) {
      const id = lookup.get(cp);
      if (id !== undefined) tokens.push(id);
      else for (const byte of Buffer.from(cp, 'utf8')) tokens.push(byte + 3); // byte_fallback: ids 3.. are <0x00>..
    }
    for (;;) {
      let best = -1e10, bestId = -1, bestIdx = -1;
      for (let i = 0; i < tokens.length - 1; i++) {
        const id = lookup.get(vocab[tokens[i]] + vocab[tokens[i + 1]]);
        if (id !== undefined && scores[id] > best) { best = scores[id]; bestId = id; bestIdx = i; }
      }
      if (bestIdx === -1) break;
      tokens.splice(bestIdx, 2, bestId);
    }
    return tokens;
  };
}

const TEXTS = [
  'Once upon a time, there was a little girl named Lily.',
  'She said, "I want to play with your ball, but I can\'t find it."\nLily was sad.',
  'Hello world',
  'tabs\tand  double  spaces,   and trailing ',
  ' leading space',
  'Ünïcödé café — 東京 🦙 naïve',
  'numbers 1234567890 and symbols #$%&*@!?',
  'a',
  '',
];

function load(file: string): TextTokenizer {
  const vocab = parseLlama2cTokenizer(new Uint8Array(readFileSync(file)));
  return new TextTokenizer(llamaTokenizerJson(vocab), llamaTokenizerConfig(512));
}

describe.skipIf(!haveShared('llama2.c tokenizer.bin -> tokenizer.json', 'data/tiny-models/stories260K/tok512.bin', 'data/tiny-models/llama2-tokenizer/tokenizer.bin'))('llama2.c tokenizer.bin -> tokenizer.json', () => {
  for (const [name, file] of [['tok512 (stories260K)', TOK512], ['32k Llama-2', TOK32K]] as const) {
    describe(name, () => {
      let tok: TextTokenizer;
      let oracle: (text: string, bos: boolean) => number[];
      beforeAll(() => {
        tok = load(file);
        oracle = llama2cEncoder(file);
      });

      it('has the ids of the specials and the vocabulary size', () => {
        expect([tok.tokenToId('<unk>'), tok.bosTokenId, tok.eosTokenId]).toEqual([0, 1, 2]);
        expect(tok.vocabSize).toBe(file === TOK512 ? 512 : 32000);
        expect(tok.addsBos).toBe(true);
      });

      it.each(TEXTS.map((t) => [JSON.stringify(t), t]))('encodes %s as llama2.c does', (_, text) => {
        expect(tok.encode(text, { addSpecialTokens: false })).toEqual(oracle(text, false));
        expect(tok.encode(text)).toEqual(oracle(text, true));
      });

      it('agrees with llama2.c on 300 seeded random strings (whitespace runs, digits, accents, emoji)', () => {
        const alphabet = [...'aeiou tnrsl  \n\t0123456789.,!?\'"-éüß東京🦙'];
        let seed = 12345;
        const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
        for (let n = 0; n < 300; n++) {
          const text = Array.from({ length: 1 + Math.floor(rand() * 40) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
          expect(tok.encode(text, { addSpecialTokens: false }), JSON.stringify(text)).toEqual(oracle(text, false));
        }
      });

      it('decodes back to the text', () => {
        for (const text of TEXTS) {
          expect(tok.decode(tok.encode(text), { skipSpecialTokens: true })).toBe(text);
          expect(tok.decode(tok.encode(text, { addSpecialTokens: false }))).toBe(text);
        }
      });
    });
  }

  it('keeps <s> a special token and names it in decode unless skipped', () => {
    const tok = load(TOK512);
    const ids = tok.encode('Hi');
    expect(ids[0]).toBe(1);
    expect(tok.decode(ids)).toBe('<s> Hi');
    expect(tok.decode([...ids, 2], { skipSpecialTokens: true })).toBe('Hi');
  });

  it('orders merges by the merged piece score (ties: longer left piece first)', () => {
    const pieces = ['<unk>', '<s>', '</s>', 'a', 'b', 'c', 'ab', 'bc', 'abc'];
    const scores = [0, 0, 0, -10, -11, -12, -1, -2, -1];
    expect(mergesFromScores(pieces, scores)).toEqual([['ab', 'c'], ['a', 'bc'], ['a', 'b'], ['b', 'c']]);
  });

  it('rejects a truncated tokenizer.bin and a vocabulary-size mismatch with clear messages', () => {
    const bytes = new Uint8Array(readFileSync(TOK512));
    expect(() => parseLlama2cTokenizer(bytes.subarray(0, bytes.length - 3))).toThrow(/token 511 claims/);
    expect(() => parseLlama2cTokenizer(bytes, 600)).toThrow(/holds 512 tokens, but the checkpoint's vocab_size is 600/);
    expect(() => parseLlama2cTokenizer(bytes, 500)).toThrow(/holds 500 tokens and trailing bytes/);
  });
});
