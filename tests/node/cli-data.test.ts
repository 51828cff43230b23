// `webift data ...` as a subprocess on local files: list/show from the manifest, convert (stdout and --out), mix
// with local sources and its per-source breakdown, and the one-line exit-2 errors for a bad JSON line, an unknown
// format and a missing field.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { webift } from '../helpers/cli';
import { SYNTHETIC_DIR } from '../helpers/fixtures';

const tmp = mkdtempSync(path.join(tmpdir(), 'webift-data-'));
const file = (name: string, text: string) => {
  const f = path.join(tmp, name);
  writeFileSync(f, text);
  return f;
};
const oneLine = (stderr: string) => stderr.trim().split('\n');

describe('webift data', () => {
  it('list --tag CN --json: only Chinese datasets; show prints an entry', () => {
    const r = webift(['data', 'list', '--tag', 'CN', '--json']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as { id: string; tags: { lang: string[] } }[];
    expect(list.map((d) => d.id)).toEqual(expect.arrayContaining(['belle-1.5m', 'cot-cn', 'firefly', 'alpaca-gpt4-zh']));
    expect(list.every((d) => d.tags.lang.includes('CN'))).toBe(true);
    const s = webift(['data', 'show', 'gsm8k-test', '--json']);
    expect(JSON.parse(s.stdout)).toMatchObject({ id: 'gsm8k-test', records: 1319, format: 'gsm8k' });
    const text = webift(['data', 'show', 'code-alpaca']);
    expect(text.stdout).toContain('NOT verified');
  });

  it('convert to stdout and to --out, --format auto', () => {
    const src = file('ok.json', JSON.stringify([{ instruction: 'Add 2 and 3.', input: '', output: '5' }, { instruction: 'Translate', input: 'chat', output: 'cat' }]));
    const r = webift(['data', 'convert', '--format', 'auto', src]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ instruction: 'Add 2 and 3.', input: '', output: '5' }, { instruction: 'Translate', input: 'chat', output: 'cat' }]);
    const out = path.join(tmp, 'ok.jsonl');
    const j = webift(['data', 'convert', '--format', 'alpaca', src, '--out', out, '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ shape: 'alpaca', rows: 2, records: 2, rejected: [] });
    expect(readFileSync(out, 'utf8').trim().split('\n').length).toBe(2);
  });

  it('a bad JSON line, an unknown format, a missing field: exit 2 and one line each', () => {
    const bad = file('bad.jsonl', '{"instruction":"a","output":"b"}\n{"instruction": oops}\n');
    let r = webift(['data', 'convert', '--format', 'jsonl', bad]);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(oneLine(r.stderr)).toEqual([expect.stringMatching(/^webift: error: .*bad\.jsonl: line 2: not valid JSON: .*\(1 of 2 rows rejected as jsonl; --skip-bad keeps the 1 good ones\)$/)]);
    r = webift(['data', 'convert', '--format', 'jsonl', bad, '--skip-bad']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"instruction":"a","input":"","output":"b"}\n');
    expect(r.stderr).toContain('rejected line 2: not valid JSON');
    r = webift(['data', 'convert', '--format', 'yaml', bad]);
    expect([r.code, oneLine(r.stderr)]).toEqual([2, [expect.stringMatching(/^webift: error: unknown format 'yaml' \(formats: auto, alpaca, jsonl/)]]);
    const miss = file('miss.json', JSON.stringify([{ instruction: 'a', output: 'b' }, { instruction: 'c' }]));
    r = webift(['data', 'convert', '--format', 'alpaca', miss]);
    expect([r.code, oneLine(r.stderr)]).toEqual([2, [expect.stringMatching(/miss\.json: index 1: missing "output" \(keys: instruction\)/)]]);
    r = webift(['data', 'show', 'nope']);
    expect([r.code, oneLine(r.stderr).length]).toEqual([2, 1]);
  });

  it('mix alpaca-belle-cot from local files (the committed synthetic sets standing in): per-source breakdown', () => {
    const D = SYNTHETIC_DIR;
    const out = path.join(tmp, 'abc.jsonl');
    const r = webift(['data', 'mix', 'alpaca-belle-cot', '--out', out, '--skip-bad', '--json',
      '--source', `alpaca-cleaned=${D}/tasks-en.jsonl`,
      '--source', `belle-0.5m=${D}/tasks-zh.jsonl`,
      '--source', `cot-en=${D}/arith-en-cot.jsonl`]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    // The files' line counts (wc -l): 400, 200, 600, none rejected.
    expect(j.breakdown.map((b: { id: string; taken: number }) => [b.id, b.taken])).toEqual([['alpaca-cleaned', 400], ['belle-0.5m', 200], ['cot-en', 600]]);
    expect(readFileSync(out, 'utf8').trim().split('\n').length).toBe(1200);
    const missing = webift(['data', 'mix', 'alpaca-belle-cot', '--out', out]);
    expect([missing.code, oneLine(missing.stderr)]).toEqual([2, [expect.stringContaining('data mix: no local file for alpaca-cleaned, belle-0.5m, cot-en')]]);
  });
});
