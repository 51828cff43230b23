/**
 * `webift judge` (run in-process) against the fake OpenAI-compatible endpoint on loopback: two prediction files
 * paired by id (one id unpaired), both orders asked per question, the summary counts win/tie/lose for A per test
 * set, judgements are appended and a rerun reuses them without asking again; bare `local` runs the embedded model;
 * bad input is one UsageError.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { judgeCommand } from '../../src/node/commands/judge';
import { UsageError } from '../../src/node/errors';
import { startFakeOpenAi, type FakeOpenAi } from '../data/filter-fake-openai';

const dir = mkdtempSync(path.join(tmpdir(), 'webift-judge-'));
const line = (id: string, output: string, set = 'vicuna') => JSON.stringify({ id, prompt: `P${id}`, question: `Q${id}`, output, set, finish_reason: 'eos' });

describe('webift judge', () => {
  let fake: FakeOpenAi;
  beforeAll(async () => {
    // Scores the longer answer 8, the shorter 4, equal lengths 5 5.
    fake = await startFakeOpenAi((user) => {
      const a1 = /Assistant 1's Answer\]\n([\s\S]*?)\n\n\[The End/.exec(user)![1];
      const a2 = /Assistant 2's Answer\]\n([\s\S]*?)\n\n\[The End/.exec(user)![1];
      return a1.length === a2.length ? '5 5\nequal' : a1.length > a2.length ? '8 4\nfirst is longer' : '4 8\nsecond is longer';
    });
  });
  afterAll(() => fake.close());

  it('judges both orders per paired id, counts for A, and resumes from its judgements', async () => {
    const a = path.join(dir, 'a.jsonl'), b = path.join(dir, 'b.jsonl'), out = path.join(dir, 'j.jsonl');
    writeFileSync(a, [line('1', 'a long answer'), line('2', 'hi'), line('3', 'same'), line('9', 'only in A')].join('\n') + '\n');
    writeFileSync(b, [line('1', 'short'), line('2', 'a longer one'), line('3', 'same')].join('\n') + '\n');
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const args = ['--a', a, '--b', b, '--judge', fake.baseUrl, '--out', out, '--model', 'gpt-4-0613', '--json'];
      expect(await judgeCommand(args)).toBe(0);
      expect(fake.requests).toHaveLength(6);
      expect(fake.requests[0].user.startsWith('[Question]\nQ1\n\n')).toBe(true);
      const summary = JSON.parse(String(stdout.mock.calls.at(-1)![0]));
      expect(summary).toEqual({
        n: 3, win: 1, tie: 1, lose: 1, unparsed: 0, winning_score: 1,
        by_set: { vicuna: { n: 3, win: 1, tie: 1, lose: 1, unparsed: 0, winning_score: 1 } },
        judge: `gpt-4-0613 @ ${fake.baseUrl}/chat/completions`, out, unpaired: 1,
      });
      expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(3);
      expect(await judgeCommand(args)).toBe(0);
      expect(fake.requests).toHaveLength(6);
      expect(JSON.parse(String(stdout.mock.calls.at(-1)![0]))).toMatchObject({ win: 1, tie: 1, lose: 1 });
    } finally {
      stdout.mockRestore();
    }
  });

  it('bare --judge local runs the embedded model in this process (at noise level: its answer rarely parses)', async () => {
    const a = path.join(dir, 'la.jsonl'), b = path.join(dir, 'lb.jsonl'), out = path.join(dir, 'lj.jsonl');
    writeFileSync(a, line('1', 'Blue.') + '\n');
    writeFileSync(b, line('1', 'Red.') + '\n');
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await judgeCommand(['--a', a, '--b', b, '--judge', 'local', '--max-new-tokens', '4', '--backend', 'wasm', '--out', out, '--json'])).toBe(0);
      const s = JSON.parse(String(stdout.mock.calls.at(-1)![0]));
      expect(s).toMatchObject({ n: 1, judge: 'local' });
      expect(s.win + s.tie + s.lose + s.unparsed).toBe(1);
      const j = JSON.parse(readFileSync(out, 'utf8'));
      expect(typeof j.reviewAB).toBe('string');
      expect(typeof j.reviewBA).toBe('string');
    } finally {
      stdout.mockRestore();
    }
  });

  it('refuses files with no shared id, a bad judge spec, and a missing key for api.openai.com', async () => {
    const a = path.join(dir, 'x.jsonl'), b = path.join(dir, 'y.jsonl');
    writeFileSync(a, line('1', 'x') + '\n');
    writeFileSync(b, line('2', 'y') + '\n');
    await expect(judgeCommand(['--a', a, '--b', b, '--judge', fake.baseUrl])).rejects.toThrow(/share no id/);
    writeFileSync(b, line('1', 'y') + '\n');
    await expect(judgeCommand(['--a', a, '--b', b, '--judge', 'gpt4'])).rejects.toThrow(UsageError);
    await expect(judgeCommand(['--a', a, '--b', b, '--judge', 'hf:not a repo'])).rejects.toThrow(/hf: needs a hub repo/);
    vi.stubEnv('OPENAI_API_KEY', '');
    try {
      await expect(judgeCommand(['--a', a, '--b', b, '--judge', 'https://api.openai.com/v1'])).rejects.toThrow(/no API key/);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
