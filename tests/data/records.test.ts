/**
 * parseRecords on real files from ../shared/data (AlpaGasus JSON arrays, BELLE JSON Lines named .json, dolly and GSM8K
 * shapes that are not unified records) and on a hand-written JSONL with one bad line of each kind. Every input record
 * is accounted for (in = accepted + rejected), accepted records are compared field by field with an independent read.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveShared, sharedPath } from '../helpers/fixtures';
import { parseRecords, RecordsParseError, validateRecord } from '../../src/data/records';

const DATA = sharedPath('data');
const read = (f: string) => readFileSync(path.join(DATA, f), 'utf8');

describe.skipIf(!haveShared('parseRecords on ../shared/data', 'data'))('parseRecords on ../shared/data', () => {
  it('claude_t45.json (JSON array): 5301 records, the 4 with an empty output rejected by index', () => {
    const text = read('alpagasus-filtered/claude_t45.json');
    const raw = JSON.parse(text) as { instruction: string; input: string; output: string }[];
    const p = parseRecords(text);
    expect(p.format).toBe('json');
    expect(raw.length).toBe(5305);
    expect(p.records.length + p.rejected.length).toBe(raw.length);
    expect(p.rejected).toEqual([2590, 3260, 4652, 4724].map((i) => ({ where: `index ${i}`, reason: '"output" is empty: nothing to learn' })));
    expect(p.records[0]).toEqual({ instruction: 'What is the capital of France?', input: '', output: 'The capital of France is Paris.' });
    expect(p.records[p.records.length - 1]).toEqual({ instruction: 'Generate a four-word proverb about determination.', input: '', output: "Where there's a will, there's a way." });
    // Every accepted record, field by field, against the raw array at the index it names.
    p.records.forEach((r, k) => {
      const i = Number(/^index (\d+)$/.exec(p.where[k])![1]);
      expect(r).toEqual({ instruction: raw[i].instruction, input: raw[i].input, output: raw[i].output });
    });
    expect(new Set(p.where).size).toBe(p.records.length);
  });

  it('dolly_3k.json: extra keys (category) are dropped, nothing else changes', () => {
    const text = read('alpagasus-filtered/dolly_3k.json');
    const raw = JSON.parse(text) as Record<string, string>[];
    const p = parseRecords(text, { format: 'json' });
    expect(p.rejected).toEqual([]);
    expect(p.records.length).toBe(2996);
    for (const k of [0, 1, 1500, 2995]) {
      expect(Object.keys(p.records[k]).sort()).toEqual(['input', 'instruction', 'output']);
      expect(p.records[k]).toEqual({ instruction: raw[k].instruction, input: raw[k].input, output: raw[k].output });
    }
  });

  it('Belle_open_source_1k.json is JSON Lines despite its name: auto reads it as such', () => {
    const text = read('belle-open-source-1k/Belle_open_source_1k.json');
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    const p = parseRecords(text);
    expect(p.format).toBe('jsonl');
    expect(p.records.length).toBe(1000);
    expect(p.rejected).toEqual([]);
    for (const k of [0, 499, 999]) {
      const r = JSON.parse(lines[k]);
      expect(p.records[k]).toEqual({ instruction: r.instruction, input: r.input, output: r.output });
      expect(p.where[k]).toBe(`line ${k + 1}`);
    }
    expect(() => parseRecords(text, { format: 'json', label: 'Belle_open_source_1k.json' })).toThrow(/Belle_open_source_1k\.json: not valid JSON/);
  });

  it('dolly head (instruction/context/response): each line rejected for the missing output, naming its keys', () => {
    const p = parseRecords(read('dolly-15k-head/databricks-dolly-15k.head4.jsonl'));
    expect(p.records).toEqual([]);
    expect(p.rejected).toEqual([1, 2, 3, 4].map((l) => ({ where: `line ${l}`, reason: 'missing "output" (keys: instruction, context, response, category)' })));
  });

  it('GSM8K train.jsonl (question/answer): all 7473 rejected for the missing instruction', () => {
    const p = parseRecords(read('gsm8k-train/train.jsonl'));
    expect(p.records.length).toBe(0);
    expect(p.rejected.length).toBe(7473);
    expect(p.rejected[7472]).toEqual({ where: 'line 7473', reason: 'missing "instruction" (keys: question, answer)' });
  });
});

describe('parseRecords on a hand-written JSONL', () => {
  const lines = [
    '{"instruction": "Add 2 and 3.", "input": "", "output": "5"}',
    '',
    '{"instruction": "Translate.", "input": "Bonjour", "output": "Hello", "source": "x"}',
    '{"instruction": "broken", "output": ',
    '{"instruction": "No input key.", "output": "ok"}',
    '{"instruction": "Null input.", "input": null, "output": "ok"}',
    '{"instruction": "Numeric output.", "input": "", "output": 42}',
    '["instruction", "output"]',
    '{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]}',
    '{"messages": [{"role": "user", "content": "Hi"}, {"role": "gpt", "content": "Hello."}]}',
    '{"messages": [{"role": "user", "content": "Hi"}]}',
    '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant"}]}',
    '{"messages": [], "output": "x"}',
    '{"instruction": "   ", "output": "x"}',
    '   ',
  ];
  const text = lines.join('\r\n');

  it('accepts the good records and rejects each bad line with its line number and reason', () => {
    const p = parseRecords(text, { label: 'mine.jsonl' });
    expect(p.format).toBe('jsonl');
    expect(p.records).toEqual([
      { instruction: 'Add 2 and 3.', input: '', output: '5' },
      { instruction: 'Translate.', input: 'Bonjour', output: 'Hello' },
      { instruction: 'No input key.', input: '', output: 'ok' },
      { instruction: 'Null input.', input: '', output: 'ok' },
      { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello.' }] },
    ]);
    expect(p.where).toEqual(['line 1', 'line 3', 'line 5', 'line 6', 'line 9']);
    expect(p.rejected.map((r) => r.where)).toEqual(['line 4', 'line 7', 'line 8', 'line 10', 'line 11', 'line 12', 'line 13', 'line 14']);
    const reasons = p.rejected.map((r) => r.reason);
    expect(reasons[0]).toMatch(/^not valid JSON: /);
    expect(reasons.slice(1)).toEqual([
      '"output" is a number, not a string',
      'not a JSON object (got an array)',
      'messages[1].role is "gpt", expected "system", "user" or "assistant"',
      'no "assistant" message: nothing to learn',
      'messages[1].content is missing, not a string',
      'has both "messages" and "output": ambiguous, expected one form',
      '"instruction" is empty',
    ]);
    const nonBlank = lines.filter((l) => l.trim() !== '').length;
    expect(p.records.length + p.rejected.length).toBe(nonBlank);
  });

  it('strips a UTF-8 BOM, and reads a JSON array with rejections by index', () => {
    const p = parseRecords('\ufeff[{"instruction": "a", "output": "b"}, 7, {"instruction": "c"}]');
    expect(p.records).toEqual([{ instruction: 'a', input: '', output: 'b' }]);
    expect(p.rejected).toEqual([
      { where: 'index 1', reason: 'not a JSON object (got a number)' },
      { where: 'index 2', reason: 'missing "output" (keys: instruction)' },
    ]);
  });

  it('throws one clear error for a file that is unparseable as a whole', () => {
    expect(() => parseRecords('', { label: 'e.json' })).toThrow(new RecordsParseError('e.json: the file is empty'));
    expect(() => parseRecords(' \n\t\n')).toThrow(/the file is empty/);
    expect(() => parseRecords('[{"instruction": "a", "output": "b"},\n {"instruction": }]', { label: 'broken.json' })).toThrow(/^broken\.json: not valid JSON: .*line 2/);
    expect(() => parseRecords('{"instruction": "a", "output": "b"}', { format: 'json' })).toThrow(/expected a JSON array of records, got an object/);
    expect(() => parseRecords('instruction,input,output\nAdd,,5\n', { label: 'data.csv' })).toThrow(/data\.csv: no line is valid JSON, so this is not a JSON Lines file \(line 1: not valid JSON/);
    expect(() => parseRecords('x')).toThrow(RecordsParseError);
  });

  it('validateRecord never coerces', () => {
    expect(validateRecord({ instruction: 'a', input: 3, output: 'b' })).toEqual({ reason: '"input" is a number, not a string' });
    expect(validateRecord({ instruction: ['a'], output: 'b' })).toEqual({ reason: '"instruction" is an array, not a string' });
    expect(validateRecord(null)).toEqual({ reason: 'not a JSON object (got null)' });
    expect(validateRecord({ messages: 'hi' })).toEqual({ reason: '"messages" is a string, not an array' });
  });
});
