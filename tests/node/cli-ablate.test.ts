/**
 * `webift ablate` end to end through the CLI entry (in-process, webift-tiny, wasm, 2 steps): an experiment file whose
 * "data" lists two source files, --without one of them and a multiple-choice --eval file; the last stdout line with
 * --json, results.json and report.html written into --out, and one-line usage errors (exit 2, nothing written)
 * for a source the recipe does not have, a missing "data" and a config key train does not know.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { main } from '../../src/node/cli';
import { EMBEDDED_MODEL_DIR } from '../helpers/fixtures';

const dir = mkdtempSync(path.join(tmpdir(), 'webift-ablate-'));
const file = (name: string, text: string) => {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
};
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const en = file('en.jsonl', jsonl(Array.from({ length: 10 }, (_, i) => ({ instruction: `Add ${i} and 1.`, input: '', output: `${i + 1}` }))));
const zh = file('zh.jsonl', jsonl(Array.from({ length: 10 }, (_, i) => ({ instruction: `${i}加2等于多少？`, input: '', output: `${i + 2}` }))));
const mc = file('geo.csv', ',Question,A,B,C,D,Answer\n0,Largest ocean?,Atlantic,Pacific,Indian,Arctic,B\n1,Hottest desert?,Sahara,Gobi,Ice,Fog,A\n');
const settings = { model: EMBEDDED_MODEL_DIR, 'lora-r': 2, 'batch-size': 2, 'cutoff-len': 64, 'warmup-steps': 0, 'eval-split': 0.2, 'eval-every': 0, seed: 3 };
const config = file('exp.json', JSON.stringify({ ...settings, data: [en, zh] }));

describe('webift ablate', () => {
  let stdout: MockInstance, stderr: MockInstance;
  beforeEach(() => {
    stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    stdout.mockRestore();
    stderr.mockRestore();
  });
  const errText = () => stderr.mock.calls.map((c) => String(c[0])).join('');

  it('runs the base and w/o zh, writes results.json and report.html, and ends with the JSON line', async () => {
    const out = path.join(dir, 'out');
    expect(await main(['ablate', '--config', config, '--without', 'zh', '--eval', mc, '--steps', '2', '--backend', 'wasm', '--out', out, '--json'])).toBe(0);
    const last = JSON.parse(String(stdout.mock.calls.at(-1)![0]));
    expect(Object.keys(last)).toEqual(['variants', 'report']);
    expect(last.report).toBe(path.join(out, 'report.html'));
    expect(last.variants.map((v: { id: string }) => v.id)).toEqual(['base', 'without-zh']);
    // 10 records per source, 0.2 held out = 2 each: the base trains on 8 + 8, w/o zh on 8.
    expect(last.variants.map((v: { records: number }) => v.records)).toEqual([16, 8]);
    for (const v of last.variants) {
      expect(Object.keys(v)).toEqual(['id', 'label', 'change', 'records', 'final_train_loss', 'eval_loss', 'perplexity', 'accuracy', 'seconds']);
      expect(v.accuracy === 0 || v.accuracy === 0.5 || v.accuracy === 1).toBe(true); // 2 items
    }
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(results.model).toEqual({ label: 'webift-tiny (embedded)', embedded: true });
    expect(results.task).toEqual({ kind: 'multiple-choice', label: 'geo.csv', n: 2 });
    expect(results.settings.train).toMatchObject({ maxSteps: 2, seed: 3, batchSize: 2 });
    expect(results.variants[1].mix).toEqual([{ id: 'en', available: 8, capped: 8, taken: 8, unique: 8 }]);
    expect(results.variants[0].heldOut.loss).toBe(last.variants[0].eval_loss);
    const html = readFileSync(last.report, 'utf8');
    expect(html).toContain(`<td>${last.variants[1].eval_loss.toFixed(4)}</td>`);
    expect(html).toContain('geo.csv accuracy');
    expect(html).not.toMatch(/https?:|<script|src=|href=/i);
    expect(errText()).toContain('w/o zh'); // the summary table, on stderr with --json
  });

  it('refuses bad input in one line before the model loads, writing nothing', async () => {
    const out = path.join(dir, 'never');
    const run = async (...args: string[]) => {
      stderr.mockClear();
      expect(await main(['ablate', ...args, '--out', out])).toBe(2);
      return errText().trim();
    };
    expect(await run('--config', config, '--without', 'fr')).toMatch(/--without fr: not a source of the base recipe \(en, zh\)/);
    expect(await run('--config', file('nodata.json', JSON.stringify(settings)), '--without', 'zh')).toMatch(/"data" must list/);
    expect(await run('--config', file('typo.json', JSON.stringify({ ...settings, data: [en], 'lora-rank': 2 })), '--without', 'en')).toMatch(/unknown key 'lora-rank'/);
    expect(await run('--config', config)).toMatch(/at least one --without/);
    expect(existsSync(out)).toBe(false);
  });
});
