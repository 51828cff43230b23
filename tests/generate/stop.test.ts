/** Stop strings, held-back text and finish reasons of one row, with a toy decoder (one character per token). */
import { describe, expect, it } from 'vitest';
import { findStop, RowStream, safeLength } from '../../src/generate/stop';

// Token i decodes to PIECES[i]; token 9 is eos; token 8 is half a character (decodes as U+FFFD alone).
const PIECES = ['he', 'llo', ' <', '|end', '|>', ' world', '<', 'x', '\uFFFD'];
const decode = (ids: number[]) => {
  let s = ids.map((i) => PIECES[i] ?? '').join('');
  s = s.replace('\uFFFDx', 'é'); // token 8 then 7 completes the character
  return s;
};

describe('findStop / safeLength', () => {
  it('finds the earliest stop string', () => {
    // 'END' at 6, 'wor' at 10: the earliest is 6.
    expect(findStop('hello END world END', ['wor', 'END'])).toBe(6);
    expect(findStop('hello', ['END'])).toBe(-1);
  });
  it('holds back a tail that could start a stop string, and a trailing U+FFFD', () => {
    expect(safeLength('abc<', ['<|end|>'])).toBe(3); // '<' starts the stop string
    expect(safeLength('abc<|e', ['<|end|>'])).toBe(3);
    expect(safeLength('abc|e', ['<|end|>'])).toBe(5); // '|e' is not a prefix of it
    expect(safeLength('abc\uFFFD', [])).toBe(3);
    expect(safeLength('abc', [])).toBe(3);
  });
});

describe('RowStream', () => {
  it('streams text, holds back a possible stop string, then cuts before it', () => {
    const s = new RowStream({ eosTokenIds: [9], stopStrings: ['<|end|>'], maxNewTokens: 100, decode });
    expect(s.push(0)).toBe('he');
    expect(s.push(1)).toBe('llo');
    expect(s.push(2)).toBe(' '); // ' <' : the '<' is held back
    expect(s.push(3)).toBe(''); // 'hello <|end' : still a prefix of the stop string
    expect(s.finished).toBe(false);
    expect(s.push(4)).toBe(''); // 'hello <|end|>': found; the text is cut before it
    expect(s.reason).toBe('stop_string');
    expect(s.text).toBe('hello ');
    expect(s.tokens).toEqual([0, 1, 2, 3, 4]); // tokens are kept, as HF keeps them
  });
  it('releases held-back text when it turns out not to be a stop string', () => {
    const s = new RowStream({ eosTokenIds: [9], stopStrings: ['<|end|>'], maxNewTokens: 100, decode });
    s.push(0);
    expect(s.push(6)).toBe(''); // 'he<'
    expect(s.push(7)).toBe('<x'); // 'he<x' cannot start '<|end|>'
  });
  it('holds back an incomplete character', () => {
    const s = new RowStream({ eosTokenIds: [], stopStrings: [], maxNewTokens: 100, decode });
    expect(s.push(0)).toBe('he');
    expect(s.push(8)).toBe('');
    expect(s.push(7)).toBe('é');
  });
  it('ends on eos (not decoded) and on max new tokens (flushing everything)', () => {
    const e = new RowStream({ eosTokenIds: [9], stopStrings: [], maxNewTokens: 100, decode });
    e.push(0);
    expect(e.push(9)).toBe('');
    expect([e.reason, e.text, e.tokens]).toEqual(['eos', 'he', [0, 9]]);
    const l = new RowStream({ eosTokenIds: [9], stopStrings: ['<|end|>'], maxNewTokens: 2, decode });
    expect(l.push(0)).toBe('he');
    expect(l.push(6)).toBe('<'); // the last token: nothing is held back any more
    expect([l.reason, l.text]).toEqual(['length', 'he<']);
  });
  it('abort flushes held-back text; pushAll handles whole sequences', () => {
    const a = new RowStream({ eosTokenIds: [9], stopStrings: ['<|end|>'], maxNewTokens: 100, decode });
    a.push(0);
    a.push(6);
    expect(a.finish('aborted')).toBe('<');
    expect([a.reason, a.text]).toEqual(['aborted', 'he<']);
    const b = new RowStream({ eosTokenIds: [9], stopStrings: [], maxNewTokens: 100, decode });
    expect(b.pushAll([0, 1, 9], 'length')).toBe('hello');
    expect(b.reason).toBe('eos');
  });
  it('without a decoder there is no text and no stop string', () => {
    const s = new RowStream({ eosTokenIds: [], stopStrings: ['x'], maxNewTokens: 2 });
    expect(s.push(7)).toBe('');
    expect(s.push(7)).toBe('');
    expect([s.reason, s.text]).toEqual(['length', '']);
  });
});
