/**
 * `webift data pull` and `webift data filter` as subprocesses: a pull by manifest id (glob resolved against the
 * listing) and by owner/name from the local HF-layout server (TSV shards written here from the committed synthetic
 * data), then a second pull that downloads nothing; filtering committed synthetic records (CoT and direct answers)
 * through a fake OpenAI-compatible endpoint, then a rerun that sends no request; and the
 * one-line errors (exit 2) for unknown ids, a bad JSON line, a missing field, a bad rater URL, a rejected key.
 * The servers live in this process, so the CLI runs through an async spawn, not tests/helpers/cli.ts's spawnSync.
 */
import { spawn } from 'node:child_process';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNTHETIC_DIR } from '../helpers/fixtures';
import { startHubServer, type HubServer } from '../data/hub-server';
import { startFakeOpenAi, type FakeOpenAi } from '../data/filter-fake-openai';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const synthetic = (f: string) => readFileSync(path.join(SYNTHETIC_DIR, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { instruction: string; input: string; output: string });

/** A FLAN-style TSV (question, rationale) of exactly `size` bytes from the ASCII arith-en-cot records, repeated. */
function tsvShard(size: number, from: number): string {
  const rows = synthetic('arith-en-cot.jsonl');
  let text = '';
  for (let i = from; text.length < size; i++) text += `${rows[i % rows.length].instruction}\t${rows[i % rows.length].output}\n`;
  return text.slice(0, size);
}

/**
 * Runs `webift data <sub> ...args`. Until src/node/commands/data.ts (another module) dispatches `data`, the
 * command module is run directly with the same error contract as cli.ts main().
 */
function webiftData(sub: 'pull' | 'filter', args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const viaCli = existsSync(path.join(ROOT, 'src/node/commands/data.ts'));
  const mod = sub === 'pull' ? ['data-pull', 'dataPullCommand'] : ['data-filter', 'dataFilterCommand'];
  const runner = `const { ${mod[1]} } = await import('./src/node/commands/${mod[0]}.ts'); const { reportError } = await import('./src/node/errors.ts');
    try { process.exitCode = await ${mod[1]}(JSON.parse(process.env.ARGS)); } catch (e) { process.exitCode = reportError(e, false); }`;
  const argv = viaCli ? [path.join(ROOT, 'bin/webift.mjs'), 'data', sub, ...args] : ['--import', './bin/node-env.mjs', '--input-type=module', '-e', runner];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { cwd: ROOT, env: { ...process.env, WEBIFT_BACKEND: 'cpu', ARGS: JSON.stringify(args), ...env } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const errorLine = (stderr: string) => stderr.trim().split('\n').filter((l) => l.startsWith('webift: error:'));

describe('webift data pull', () => {
  let hub: HubServer, work: string, FLAN: string;
  beforeAll(async () => {
    work = await fsp.mkdtemp(path.join(os.tmpdir(), 'webift-cli-pull-'));
    // The manifest's flan-cot-origin glob is Chain-of-Thought/origin_cot_data/*.tsv in QingyiSi/Alpaca-CoT.
    FLAN = path.join(work, 'repo/Chain-of-Thought/origin_cot_data');
    await fsp.mkdir(FLAN, { recursive: true });
    await fsp.writeFile(path.join(FLAN, 'qasc_train.tsv'), tsvShard(400_000, 0)); // "0.4 MB" below
    await fsp.writeFile(path.join(FLAN, 'strategyqa_train.tsv'), tsvShard(50_000, 300));
    hub = await startHubServer({ repos: { 'datasets/QingyiSi/Alpaca-CoT': path.join(work, 'repo'), 'datasets/google/flan-cot': FLAN } });
  });
  afterAll(async () => {
    await hub.close();
    await fsp.rm(work, { recursive: true, force: true });
  });

  it('pulls a manifest id by its glob, byte-identical, then finds everything already here', async () => {
    const dir = path.join(work, 'store1');
    const r = await webiftData('pull', ['flan-cot-origin', '--host', hub.host, '--dir', dir, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { id: string; repo: string; shards: { path: string; file: string; status: string }[]; downloadedBytes: number };
    expect(out.id).toBe('flan-cot-origin');
    expect(out.repo).toBe('QingyiSi/Alpaca-CoT');
    expect(out.shards.map((s) => [s.path, s.status])).toEqual([
      ['Chain-of-Thought/origin_cot_data/qasc_train.tsv', 'downloaded'],
      ['Chain-of-Thought/origin_cot_data/strategyqa_train.tsv', 'downloaded'],
    ]);
    expect(Buffer.compare(readFileSync(out.shards[0].file), readFileSync(path.join(FLAN, 'qasc_train.tsv')))).toBe(0);
    const again = await webiftData('pull', ['flan-cot-origin', '--host', hub.host, '--dir', dir, '--json']);
    expect(JSON.parse(again.stdout).downloadedBytes).toBe(0);
  });

  it('pulls owner/name with --files and a pinned --revision; prints the stored paths', async () => {
    const dir = path.join(work, 'store2');
    const r = await webiftData('pull', ['google/flan-cot', '--host', hub.host, '--revision', 'abc123', '--files', 'qasc_train.tsv', '--dir', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/abc123.*qasc_train\.tsv$/);
    expect(r.stderr).toMatch(/pulled google\/flan-cot@abc123: 1 files, 0\.4 MB/);
    expect(hub.requests.some((q) => q.file === 'qasc_train.tsv')).toBe(true);
  });

  it('clear one-line errors (exit 2): unknown id, a github-only id, a file not in the repo, a missing repo', async () => {
    const dir = path.join(work, 'store3');
    const cases: [string[], RegExp][] = [
      [['no-such-set'], /unknown dataset 'no-such-set': not a manifest id/],
      [['koala-test'], /dataset 'koala-test' is not on the hub/],
      [['google/flan-cot', '--files', 'nope.tsv'], /'nope\.tsv' is not in the listing/],
      [['nobody/nothing'], /HTTP 404.*no such repo/],
    ];
    const runs = await Promise.all(cases.map(([args]) => webiftData('pull', [...args, '--host', hub.host, '--dir', dir])));
    for (const [i, [args, re]] of cases.entries()) {
      const r = runs[i];
      expect(r.code, args.join(' ')).toBe(2);
      expect(errorLine(r.stderr)).toHaveLength(1);
      expect(errorLine(r.stderr)[0]).toMatch(re);
    }
  });
});

describe('webift data filter', () => {
  let fake: FakeOpenAi, work: string, input: string;
  beforeAll(async () => {
    work = await fsp.mkdtemp(path.join(os.tmpdir(), 'webift-cli-filter-'));
    // 4 chain-of-thought and 6 direct-answer records; the fake rater gives 5 to outputs longer than 60 characters
    // (the rationales), else 3 ("The answer is N.").
    const pick = ({ instruction, input, output }: { instruction: string; input: string; output: string }) => ({ instruction, input, output });
    const recs = [...synthetic('arith-en-cot.jsonl').slice(0, 4), ...synthetic('arith-en-direct.jsonl').slice(0, 6)].map(pick);
    input = path.join(work, 'in.json');
    await fsp.writeFile(input, JSON.stringify(recs));
    fake = await startFakeOpenAi((user) => (/### Response:\n([\s\S]*)\n\nPlease rate/.exec(user)![1].length > 60 ? '5\nthorough' : '3\nthin'), { key: 'sk-cli' });
  });
  afterAll(async () => {
    await fake.close();
    await fsp.rm(work, { recursive: true, force: true });
  });

  it('keeps the records the rater scores >= 4.5, saves scores, and a rerun sends no request', async () => {
    const out = path.join(work, 'kept.jsonl');
    const r = await webiftData('filter', ['--rater', fake.baseUrl, '--key-env', 'MY_KEY', input, '--out', out, '--json'], { MY_KEY: 'sk-cli' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const recs = JSON.parse(readFileSync(input, 'utf8')) as { output: string }[];
    const expected = recs.filter((x) => x.output.length > 60);
    expect(expected.length).toBe(4); // the rationales: both sides of the threshold are exercised
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ total: 10, kept: expected.length, rated: 10, reused: 0, threshold: 4.5 });
    expect(summary.histogram.bins.find((b: { score: number }) => b.score === 5).count).toBe(expected.length);
    expect(readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l).output)).toEqual(expected.map((x) => x.output));
    expect(readFileSync(`${out}.scores.jsonl`, 'utf8').trim().split('\n')).toHaveLength(10);
    expect(fake.requests).toHaveLength(10);

    const again = await webiftData('filter', ['--rater', fake.baseUrl, '--key-env', 'MY_KEY', input, '--out', out, '--json', '--threshold', '3'], { MY_KEY: 'sk-cli' });
    expect(JSON.parse(again.stdout)).toMatchObject({ kept: 10, rated: 0, reused: 10, threshold: 3 });
    expect(fake.requests).toHaveLength(10);
  });

  it('clear one-line errors (exit 2): bad JSON line, missing field, bad rater, rejected key, missing key', async () => {
    const badLine = path.join(work, 'bad.jsonl');
    await fsp.writeFile(badLine, '{"instruction":"a","input":"","output":"b"}\n{"instruction": oops}\n');
    const noOutput = path.join(work, 'noout.jsonl');
    await fsp.writeFile(noOutput, '{"instruction":"a","input":""}\n');
    const out = path.join(work, 'x.jsonl');
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--rater', fake.baseUrl, badLine, '--out', out], {}, /bad\.jsonl: line 2: not valid JSON/],
      [['--rater', fake.baseUrl, noOutput, '--out', out], {}, /noout\.jsonl: line 1: missing "output"/],
      [['--rater', 'ftp://x', input, '--out', out], {}, /--rater URL must be http\(s\)/],
      [['--rater', 'gpt4', input, '--out', out], {}, /--rater must be an http\(s\) URL/],
      [['--rater', fake.baseUrl, '--key-env', 'MY_KEY', input, '--out', out], { MY_KEY: 'sk-wrong' }, /HTTP 401: the API key was rejected/],
      [['--rater', fake.baseUrl, '--key-env', 'UNSET_KEY_VAR', input, '--out', out], {}, /no API key: set UNSET_KEY_VAR/],
      [['--rater', fake.baseUrl, input], {}, /--out is required/],
    ];
    const runs = await Promise.all(cases.map(([args, env]) => webiftData('filter', args, env)));
    for (const [i, [args, , re]] of cases.entries()) {
      const r = runs[i];
      expect(r.code, args.join(' ')).toBe(2);
      expect(errorLine(r.stderr)).toHaveLength(1);
      expect(errorLine(r.stderr)[0]).toMatch(re);
      expect(r.stderr).not.toContain('sk-wrong');
    }
    expect(existsSync(out)).toBe(false);
  });
});
