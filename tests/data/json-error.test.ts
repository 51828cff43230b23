/**
 * jsonErrorOffset against JSON.parse as the oracle: valid texts give -1, invalid ones give an offset, equal to V8's
 * own "at position N" where V8 states one; describeJsonError turns it into line and column.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SYNTHETIC_DIR } from '../helpers/fixtures';
import { describeJsonError, jsonErrorOffset } from '../../src/data/json-error';

const VALID = ['[]', '{}', ' [1, -2.5e+3, 0, true, false, null, "a\\"b\\u00e9\\n", {"k": [{}]}] ', '"x"', '0', '{"a":{"b":[1,[2,[3]]]}}'];
const INVALID = ['', '[', '[1,}]', '[1,2', '["a\nb"]', '{"a":1}x', '[1 2]', '{a:1}', '[01]', '[1.]', '["\\x"]', '[tru]', '{"a" 1}', '[1,]', '-', '["\\u12G4"]'];

describe('jsonErrorOffset', () => {
  it('agrees with JSON.parse on validity, and with V8 on the position where V8 names one', () => {
    for (const t of VALID) {
      expect(() => JSON.parse(t)).not.toThrow();
      expect(jsonErrorOffset(t)).toBe(-1);
    }
    for (const t of INVALID) {
      let msg = '';
      try {
        JSON.parse(t);
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg, t).not.toBe('');
      const at = jsonErrorOffset(t);
      expect(at, t).toBeGreaterThanOrEqual(0);
      const v8 = /at position (\d+)/.exec(msg);
      if (v8) expect(at, `${t}: ${msg}`).toBe(Number(v8[1]));
    }
  });

  it('describes the error with line and column', () => {
    const text = '[\n  {"a": 1},\n  {"b": }\n]';
    let err: unknown;
    try {
      JSON.parse(text);
    } catch (e) {
      err = e;
    }
    expect(describeJsonError(err, text)).toMatch(/\(line 3 column 9\)$/);
  });
});

describe('jsonErrorOffset on a large file', () => {
  it('passes the synthetic corpus as one 2 MB JSON array (English and Chinese) whole and finds where a cut copy ends', () => {
    const rows = readFileSync(path.join(SYNTHETIC_DIR, 'corpus.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
    const text = JSON.stringify(rows, null, 1);
    expect(text.length).toBeGreaterThan(2_000_000);
    expect(jsonErrorOffset(text)).toBe(-1);
    const cut = text.slice(0, 1_500_000);
    expect(() => JSON.parse(cut)).toThrow();
    expect(jsonErrorOffset(cut)).toBe(cut.length);
  });
});
