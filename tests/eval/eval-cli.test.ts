/**
 * `webift eval` (run in-process on webift-tiny, wasm): task detection, the last JSON line's exact keys for each
 * task, the per-item JSON Lines file, agreement with the library call, and one-line errors for bad input before
 * the model loads. Detection is also checked on the real CMMLU sample and GSM8K test from ../shared.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { detectTask } from '../../src/eval/detect-task';
import { parseMcCsv } from '../../src/eval/mc-items';
import { evalCommand } from '../../src/node/commands/eval';
import { UsageError } from '../../src/node/errors';
import { EMBEDDED_MODEL_DIR, haveShared, sharedPath } from '../helpers/fixtures';

const dir = mkdtempSync(path.join(tmpdir(), 'webift-eval-'));
const file = (name: string, text: string) => {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
};
const MODEL = ['--model', EMBEDDED_MODEL_DIR, '--backend', 'wasm', '--json'];

describe('webift eval', () => {
  let stdout: MockInstance;
  beforeEach(() => {
    stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => stdout.mockRestore());
  const last = () => JSON.parse(String(stdout.mock.calls.at(-1)![0]));

  it('multiple choice: a CSV with a dev file and one shot', async () => {
    const test = file('geo.csv', ',Question,A,B,C,D,Answer\n0,Largest ocean?,Atlantic,Pacific,Indian,Arctic,B\n1,Hottest desert?,Sahara,Gobi,Ice,Fog,A\n');
    const dev = file('geo_dev.csv', ',Question,A,B,C,D,Answer\n0,Capital of France?,Paris,Rome,Oslo,Bern,A\n');
    const pred = path.join(dir, 'mc.jsonl');
    expect(await evalCommand([...MODEL, '--data', test, '--dev', dev, '--shots', '1', '--predictions', pred])).toBe(0);
    const s = last();
    expect(Object.keys(s)).toEqual(['task', 'n', 'accuracy', 'by_subject', 'predictions']);
    expect(s).toMatchObject({ task: 'multiple-choice', n: 2, predictions: pred });
    const lines = readFileSync(pred, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).toEqual(['geo/0', 'geo/1']);
    expect(lines.every((l) => l.shots === 1 && 'logprobs' in l)).toBe(true);
    expect(s.accuracy).toBe(lines.filter((l) => l.correct).length / 2);
    expect(s.by_subject.geo).toEqual({ n: 2, correct: lines.filter((l) => l.correct).length, accuracy: s.accuracy });
  });

  it('exact match on GSM8K-shaped rows, perplexity on instruction records', async () => {
    const gsm = file('gsm.jsonl', [
      { question: 'Tom has 2 apples and buys 3 more. How many apples does he have?', answer: 'He has 2 + 3 = <<2+3=5>>5 apples.\n#### 5' },
      { question: 'What is 4 times 2?', answer: '4 * 2 = <<4*2=8>>8\n#### 8' },
    ].map((r) => JSON.stringify(r)).join('\n'));
    expect(await evalCommand([...MODEL, '--data', gsm, '--max-new-tokens', '4', '--predictions', path.join(dir, 'em.jsonl')])).toBe(0);
    const em = last();
    expect(Object.keys(em)).toEqual(['task', 'n', 'accuracy', 'by_subject', 'predictions']);
    expect(em).toMatchObject({ task: 'exact-match', n: 2, by_subject: {} });
    const items = readFileSync(path.join(dir, 'em.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(items.map((i) => [i.kind, i.answer])).toEqual([['number', '5'], ['number', '8']]);

    const recs = file('recs.json', JSON.stringify([{ instruction: 'Name a color.', input: '', output: 'Blue.' }, { instruction: 'Say hi.', input: '', output: 'Hi!' }]));
    expect(await evalCommand([...MODEL, '--data', recs, '--predictions', path.join(dir, 'ppl.jsonl')])).toBe(0);
    const ppl = last();
    expect(Object.keys(ppl)).toEqual(['task', 'n', 'perplexity', 'loss', 'by_subject', 'predictions']);
    expect(ppl).toMatchObject({ task: 'perplexity', n: 2, by_subject: {} });
    expect(ppl.perplexity).toBeCloseTo(Math.exp(ppl.loss), 6);
  });

  it('bad input is one UsageError, before any model loads', async () => {
    const bad = file('bad.csv', ',Question,A,B,C,D,Answer\n0,q,a,b,c,d,Z\n');
    await expect(evalCommand([...MODEL, '--data', bad])).rejects.toThrow(/line 2: Answer 'Z'/);
    await expect(evalCommand([...MODEL, '--data', bad, '--task', 'mcq'])).rejects.toThrow(UsageError);
    await expect(evalCommand([...MODEL, '--data', bad, '--shots', '2'])).rejects.toThrow(/--shots needs --dev/);
  });
});

describe.skipIf(!haveShared('eval detection on real files', 'data/eval/cmmlu-sample', 'data/eval/gsm8k-test'))('detection on ../shared benchmarks', () => {
  it('CMMLU sample is multiple choice, GSM8K test is exact match', () => {
    const anatomy = readFileSync(sharedPath('data/eval/cmmlu-sample/test/anatomy.csv'), 'utf8');
    expect(detectTask(anatomy, 'anatomy.csv').task).toBe('multiple-choice');
    const { items, skipped } = parseMcCsv(anatomy, 'test/anatomy.csv');
    expect(items.length).toBeGreaterThan(100);
    expect(skipped).toEqual([]);
    expect(new Set(items.map((i) => i.subject))).toEqual(new Set(['anatomy']));
    expect(items.every((i) => i.options.length === 4 && 'ABCD'.includes(i.answer))).toBe(true);
    const gsm = readFileSync(sharedPath('data/eval/gsm8k-test/test.jsonl'), 'utf8');
    expect(detectTask(gsm, 'test.jsonl').task).toBe('exact-match');
  });
});
