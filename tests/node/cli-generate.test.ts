/**
 * `webift generate` and `webift convert` as subprocesses: greedy ids equal HF's generate() for the fixture
 * prompts, the --json shape is the contract, stories260K converts and tells its story, bad flags exit 2.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveShared, sharedPath, caseDir, readJson } from '../helpers/fixtures';
import { webift } from '../helpers/cli';

describe.skipIf(!haveShared('webift generate / convert', 'fixtures/hf-reference', 'data/tiny-models/stories260K'))('webift generate / convert', () => {
  it.each(['llama-gqa', 'gpt2', 'gemma2'])('%s: greedy --prompt-ids equals HF generate() (eos off)', (c) => {
    const gen = readJson<{ prompt: number[][]; new_tokens: number[][] }>(path.join(caseDir(c), 'generation.json'));
    // The fixtures disable eos; with eos ids 2 (or 1) possible mid-sequence, ask for exactly 8 tokens and compare the prefix up to any eos.
    const r = webift(['generate', '--model', path.join(caseDir(c), 'model'), '--prompt-ids', gen.prompt[0].join(','), '--max-new-tokens', '8', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['finish_reason', 'ids', 'prompt_ids', 'text', 'timing']);
    expect(out.timing.first_token_s).toBeGreaterThan(0);
    expect(out.timing.decode_tokens_per_s === null).toBe(out.ids.length < 2);
    if (out.timing.decode_tokens_per_s !== null) expect(out.timing.decode_tokens_per_s).toBeGreaterThan(0);
    expect(out.prompt_ids).toEqual(gen.prompt[0]);
    const want = gen.new_tokens[0];
    expect(out.ids).toEqual(want.slice(0, out.ids.length));
    expect(out.finish_reason === 'length' ? out.ids.length : 0).toBe(out.finish_reason === 'length' ? 8 : 0);
  });

  it('converts stories260K and decodes its reference story from BOS', () => {
    const dir = sharedPath('data/tiny-models/stories260K');
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'webift-conv-')), 'stories');
    const conv = webift(['convert', 'llama2c', '--checkpoint', path.join(dir, 'stories260K.bin'), '--tokenizer', path.join(dir, 'tok512.bin'), '--out', out, '--json']);
    expect(conv.code).toBe(0);
    const expected = readJson<{ token_ids: number[] }>(path.join(dir, 'expected_greedy.json')).token_ids;
    const r = webift(['generate', '--model', out, '--prompt-ids', '1', '--max-new-tokens', '40', '--json'], { WEBIFT_BACKEND: 'wasm' });
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.ids).toEqual(expected.slice(0, 40));
    expect(res.text.startsWith('Once upon a time')).toBe(true);
  });

  it.each([
    [['--prompt-ids', '1', '--top-p', '2'], /--top-p must be <= 1/],
    [['--prompt-ids', '1,x'], /comma-separated token ids/],
    [['--prompt', 'hi'], /no tokenizer.json; use --prompt-ids/],
    [['--prompt-ids', '99999'], /outside the vocabulary/],
    [['--prompt-ids', '1', '--bogus'], /unknown option '--bogus'/],
  ])('bad input %j exits 2 with one line', (args, msg) => {
    const r = webift(['generate', '--model', path.join(caseDir('llama-gqa'), 'model'), ...(args as string[])]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(msg);
  });
});
