/**
 * tokenizeExample with a real tokenizer (stories260K's tok512.bin through the llama2.c converter: Llama-layout
 * sentencepiece BPE with <s>) and the tiny hand-built one (real <|im_start|>/<|im_end|> added tokens, eos <|im_end|>).
 * Checked by hand: -100 exactly over the prompt, ids over response + eos; alpaca-lora's cut-off and eos rule; only
 * assistant turns learned in multi-turn ChatML; the split-tokenisation fallback when a template merges across a boundary.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { haveShared, sharedPath } from '../helpers/fixtures';
import { TINY_CONFIG, tinyTokenizerJson, IM_END, IM_START } from '../tokenizer/tiny-tokenizer';
import { alpacaPrompt } from '../../src/tokenizer/alpaca';
import { llamaTokenizerConfig, llamaTokenizerJson, parseLlama2cTokenizer } from '../../src/tokenizer/llama2c-tokenizer';
import { TextTokenizer } from '../../src/tokenizer/tokenizer';
import { IGNORE_INDEX, tokenizeExample, tokenizeRecords, tokenizeSegments, type ExampleTokenizer } from '../../src/data/tokenize-example';
import type { MessagesRecord } from '../../src/data/records';

const CHATML =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Maximal runs of learned labels, as [start, end) token ranges. */
function learnedRuns(labels: Int32Array): [number, number][] {
  const runs: [number, number][] = [];
  for (let t = 0; t < labels.length; t++) {
    if (labels[t] === IGNORE_INDEX) continue;
    if (runs.length && runs[runs.length - 1][1] === t) runs[runs.length - 1][1] = t + 1;
    else runs.push([t, t + 1]);
  }
  return runs;
}

const SAY_HI = { instruction: 'Say hi.', input: '', output: 'Hi there.' };

describe.skipIf(!haveShared('tokenizeExample with tok512 (stories260K)', 'data/tiny-models/stories260K/tok512.bin'))('tokenizeExample with tok512 (stories260K)', () => {
  let tok: TextTokenizer;
  let chat: ExampleTokenizer;
  beforeAll(() => {
    const bin = new Uint8Array(readFileSync(sharedPath('data/tiny-models/stories260K/tok512.bin')));
    tok = new TextTokenizer(llamaTokenizerJson(parseLlama2cTokenizer(bin)), llamaTokenizerConfig(512));
    chat = Object.assign(Object.create(tok) as TextTokenizer, { chatTemplate: CHATML });
  });

  it('Alpaca: -100 over exactly the prompt tokens (<s> included), ids over the response and eos', () => {
    const ex = tokenizeExample(SAY_HI, tok);
    const prompt = tok.encode(alpacaPrompt('Say hi.'));
    expect(prompt.length).toBe(101);
    expect(prompt[0]).toBe(1); // <s>
    // "### Response:\n" then 'H' 'i' '▁there' '.' and </s>: the tail worked out from the vocabulary.
    expect([...ex.ids]).toEqual([...prompt, 440, 417, 383, 426, 2]);
    expect([...ex.ids.slice(101)].map((i) => tok.idToToken(i))).toEqual(['H', 'i', '▁there', '.', '</s>']);
    expect([...ex.labels]).toEqual([...new Array(101).fill(-100), 440, 417, 383, 426, 2]);
    expect(tok.decode(ex.ids.slice(101, 105))).toBe('Hi there.');
    expect(ex.truncated).toBe(false);
    expect(ex.splitTokenized).toBe(false);
  });

  it('Alpaca with an input: the input block is in the masked prompt', () => {
    const ex = tokenizeExample({ instruction: 'Repeat.', input: 'a cat', output: 'a cat' }, tok);
    const P = ex.labels.findIndex((l) => l !== IGNORE_INDEX);
    expect(tok.decode(ex.ids.slice(0, P), { skipSpecialTokens: true })).toBe(alpacaPrompt('Repeat.', 'a cat'));
    expect(tok.decode(ex.ids.slice(P), { skipSpecialTokens: true })).toBe('a cat');
    expect(ex.ids[ex.ids.length - 1]).toBe(2);
  });

  it('trainOnInputs: labels equal ids everywhere', () => {
    const ex = tokenizeExample(SAY_HI, tok, { trainOnInputs: true });
    expect([...ex.labels]).toEqual([...ex.ids]);
    expect(ex.ids.length).toBe(106);
  });

  it('cutoffLen as alpaca-lora: cut the whole sequence; eos only when the cut sequence is shorter than cutoffLen', () => {
    const full = [...tokenizeExample(SAY_HI, tok).ids]; // 105 text tokens + eos
    const cut = (n: number) => tokenizeExample(SAY_HI, tok, { cutoffLen: n });
    // 106: everything fits, eos included.
    expect([...cut(106).ids]).toEqual(full);
    expect(cut(106).truncated).toBe(false);
    // 105: the text fits exactly, no room for eos (alpaca-lora: len < cutoff_len fails) -> no eos, counted truncated.
    expect([...cut(105).ids]).toEqual(full.slice(0, 105));
    expect(cut(105).truncated).toBe(true);
    // 103: cut inside the response, no eos; labels keep -100 over the prompt and the two response tokens left.
    const c = cut(103);
    expect([...c.ids]).toEqual(full.slice(0, 103));
    expect([...c.labels]).toEqual([...new Array(101).fill(-100), 440, 417]);
    expect(c.truncated).toBe(true);
    // 50: inside the prompt: nothing left to learn; tokenizeRecords rejects it with the reason.
    expect([...cut(50).labels].every((l) => l === -100)).toBe(true);
    const r = tokenizeRecords([SAY_HI, SAY_HI], tok, { cutoffLen: 50, where: ['line 3', 'line 9'] });
    expect(r.examples).toEqual([]);
    expect(r.rejected).toEqual(['line 3', 'line 9'].map((where) => ({ where, reason: 'the prompt fills cutoffLen (50 tokens): no response token is left to learn' })));
  });

  it('multi-turn ChatML: only the assistant turns (with their <|im_end|>\\n) and the final eos are learned', () => {
    const rec: MessagesRecord = {
      messages: [
        { role: 'system', content: 'Be kind.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: 'Bye' },
        { role: 'assistant', content: 'Bye now.' },
      ],
    };
    const ex = tokenizeExample(rec, chat);
    const runs = learnedRuns(ex.labels);
    expect(runs.map(([a, b]) => tok.decode(ex.ids.slice(a, b)))).toEqual(['Hello.<|im_end|>\n', 'Bye now.<|im_end|>\n</s>']);
    for (const [a, b] of runs) expect([...ex.labels.slice(a, b)]).toEqual([...ex.ids.slice(a, b)]);
    // The masked text before each run is the conversation up to the assistant header, and the tokens are the full render's.
    expect(tok.decode(ex.ids.slice(0, runs[0][0]))).toBe('<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
    expect([...ex.ids.slice(0, -1)]).toEqual(tok.encode(
      '<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n' +
      '<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\nBye now.<|im_end|>\n', { addSpecialTokens: false }));
    expect(ex.ids[ex.ids.length - 1]).toBe(2);
    // A conversation ending on a user turn: that turn is masked and no eos is added.
    const open = tokenizeExample({ messages: rec.messages.slice(0, 4) }, chat);
    expect(learnedRuns(open.labels).map(([a, b]) => tok.decode(open.ids.slice(a, b)))).toEqual(['Hello.<|im_end|>\n']);
    expect(open.ids[open.ids.length - 1]).not.toBe(2);
  });

  it('instruction records through the chat template when asked: user "instruction\\ninput", assistant output', () => {
    const ex = tokenizeExample({ instruction: 'Repeat.', input: 'a cat', output: 'a cat' }, chat, { promptFormat: 'chat' });
    const runs = learnedRuns(ex.labels);
    expect(tok.decode(ex.ids.slice(0, runs[0][0]))).toBe('<|im_start|>user\nRepeat.\na cat<|im_end|>\n<|im_start|>assistant\n');
    expect(runs.map(([a, b]) => tok.decode(ex.ids.slice(a, b)))).toEqual(['a cat<|im_end|>\n</s>']);
    // 'auto' picks the chat template when there is one, Alpaca when not.
    expect([...tokenizeExample(SAY_HI, chat, { promptFormat: 'auto' }).ids]).toEqual([...tokenizeExample(SAY_HI, chat, { promptFormat: 'chat' }).ids]);
    expect([...tokenizeExample(SAY_HI, tok, { promptFormat: 'auto' }).ids]).toEqual([...tokenizeExample(SAY_HI, tok).ids]);
  });

  it('falls back to tokenizing segments apart when the tokenizer merges across the boundary', () => {
    // "...a ti" + "me": the full text has '▁time'-like merges ('▁t' 'i' is not a prefix of it).
    const seg = (text: string, learn: boolean) => ({ text, learn, response: learn });
    const r = tokenizeSegments(tok, [seg('Once upon a ti', false), seg('me', true)], true);
    expect(r.exact).toBe(false);
    expect(tok.encode('Once upon a time')).not.toEqual(r.ids);
    expect(r.ids).toEqual([...tok.encode('Once upon a ti'), ...tok.encode('me', { addSpecialTokens: false })]);
    expect(r.starts).toEqual([0, tok.encode('Once upon a ti').length]);
    // No merge: the exact path, boundaries from the prefix encoding.
    const ok = tokenizeSegments(tok, [seg('The cat', false), seg(' played', true)], true);
    expect(ok).toEqual({ ids: tok.encode('The cat played'), starts: [0, tok.encode('The cat').length], exact: true });
    // A template with a space before the content ("assistant: Hi" -> '▁H' spans the boundary) goes the same way.
    const spaced = Object.assign(Object.create(tok) as TextTokenizer, {
      chatTemplate: "{% for m in messages %}{{ m['role'] + ': ' + m['content'] + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}",
    });
    const ex = tokenizeExample({ messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hi' }] }, spaced);
    expect(ex.splitTokenized).toBe(true);
    const [[a, b]] = learnedRuns(ex.labels);
    expect(tok.decode(ex.ids.slice(0, a))).toBe('user: Hi\nassistant: '); // the space is its own '▁' token
    expect(tok.idToToken(ex.ids[a])).toBe('▁H'); // the response's own dummy prefix: the price of an exact boundary
    expect(tok.decode(ex.ids.slice(a, b))).toBe('Hi\n</s>');
  });

  it('rejects, with the reason, messages for a tokenizer without a template and templates that are not prefix-stable', () => {
    const msgs: MessagesRecord = { messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Yo' }] };
    const counting = Object.assign(Object.create(tok) as TextTokenizer, {
      chatTemplate: "{{ messages|length }}{% for m in messages %}{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}:{% endif %}",
    });
    const r1 = tokenizeRecords([msgs, SAY_HI], tok);
    expect(r1.examples.length).toBe(1);
    expect(r1.rejected).toEqual([{ where: 'record 0', reason: expect.stringMatching(/no chat_template/) }]);
    const r2 = tokenizeRecords([msgs], counting);
    expect(r2.rejected).toEqual([{ where: 'record 0', reason: expect.stringMatching(/not prefix-stable/) }]);
  });
});

describe('tokenizeExample with real added tokens (tiny tokenizer, eos = <|im_end|>)', () => {
  const tok = new TextTokenizer(tinyTokenizerJson(), { ...TINY_CONFIG, chat_template: CHATML });

  it('learns "world<|im_end|>\\n" and adds no second eos when the template already ended the turn with it', () => {
    const ex = tokenizeExample({ messages: [{ role: 'user', content: 'hello' }, { role: 'assistant', content: 'world' }] }, tok);
    expect(tok.eosTokenId).toBe(IM_END);
    const ids = [...ex.ids];
    expect(ids.filter((i) => i === IM_START).length).toBe(2);
    expect(ids.filter((i) => i === IM_END).length).toBe(2); // one per turn, none appended
    const [[a, b], ...rest] = learnedRuns(ex.labels);
    expect(rest).toEqual([]);
    expect(b).toBe(ids.length);
    expect(ids[a - 3]).toBe(IM_START); // <|im_start|> '▁' '<unk>' (the unknown "assistant\n") then the content
    expect(ids.slice(a, b).map((i) => tok.idToToken(i))).toEqual(['w', 'or', 'ld', '<|im_end|>', '▁', '<unk>']);
  });

  it('throws for a tokenizer with no eos', () => {
    const noEos = new TextTokenizer(tinyTokenizerJson(), { ...TINY_CONFIG, eos_token: null });
    expect(() => tokenizeExample(SAY_HI, noEos)).toThrow(/no eos token/);
  });
});
