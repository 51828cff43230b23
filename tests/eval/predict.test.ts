/**
 * Batch prediction (src/eval/predict.ts) and `webift predict` (run in-process) on webift-tiny: results per id in
 * the Alpaca template, a rerun that skips the ids already written, a partial last line left by a crash cut off
 * and redone, and the resume reader's refusal of a corrupt line in the middle.
 */
import { mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { predict, type PredictionLine } from '../../src/eval/predict';
import { parsePromptRows } from '../../src/eval/prompt-rows';
import { loadModel } from '../../src/model/load';
import type { Model } from '../../src/model/types';
import { predictCommand } from '../../src/node/commands/predict';
import { folderSource } from '../../src/node/fs-source';
import { readJsonlForResume } from '../../src/node/jsonl-resume';
import { tokenizerFrom } from '../../src/node/model-tokenizer';
import { initBackend } from '../../src/platform/backend';
import { alpacaPrompt } from '../../src/tokenizer/alpaca';
import type { TextTokenizer } from '../../src/tokenizer/tokenizer';
import { EMBEDDED_MODEL_DIR } from '../helpers/fixtures';

const VICUNA = [
  { question_id: 1, text: 'Name a color.', category: 'generic' },
  { question_id: 2, text: 'Count to three.', category: 'generic' },
  { question_id: 3, text: 'Say hello.', category: 'generic' },
].map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('batch prediction on webift-tiny', () => {
  let model: Model, tok: TextTokenizer;
  const dir = mkdtempSync(path.join(tmpdir(), 'webift-predict-'));
  beforeAll(async () => {
    await initBackend({ prefer: ['wasm'] });
    model = await loadModel(folderSource(EMBEDDED_MODEL_DIR));
    tok = (await tokenizerFrom(folderSource(EMBEDDED_MODEL_DIR)))!;
  });
  afterAll(() => model?.dispose());

  it('predicts every row once, and a rerun with the done ids generates only the rest, identically', async () => {
    const rows = parsePromptRows(VICUNA, 'vicuna.jsonl');
    const all: PredictionLine[] = [];
    await predict({ model, tokenizer: tok, rows, batchSize: 2, generation: { maxNewTokens: 3 }, onResults: (ls) => void all.push(...ls) });
    expect(all.map((l) => l.id)).toEqual(['1', '2', '3']);
    expect(all[0]).toMatchObject({ prompt: alpacaPrompt('Name a color.'), question: 'Name a color.', set: 'vicuna' });
    const again: PredictionLine[] = [];
    const r = await predict({ model, tokenizer: tok, rows, batchSize: 2, done: new Set(['1', '2']), generation: { maxNewTokens: 3 }, onResults: (ls) => void again.push(...ls) });
    expect(r).toEqual({ generated: 1, skipped: 2 });
    // Row 3 ran alone in both runs (batches [1, 2], [3]), so greedy decoding gives the same text.
    expect(again).toEqual([all[2]]);
  });

  it('webift predict resumes: skips written ids, cuts a partial last line and redoes it', async () => {
    const data = path.join(dir, 'vicuna.jsonl'), out = path.join(dir, 'out.jsonl');
    writeFileSync(data, VICUNA);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const args = ['--model', EMBEDDED_MODEL_DIR, '--data', data, '--out', out, '--max-new-tokens', '3', '--batch-size', '1', '--backend', 'wasm', '--json'];
      expect(await predictCommand([...args, '--limit', '2'])).toBe(0);
      const first = readFileSync(out, 'utf8');
      expect(first.trim().split('\n').map((l) => JSON.parse(l).id)).toEqual(['1', '2']);
      // A crash in the middle of appending line 2: its tail is missing.
      writeFileSync(out, first.slice(0, first.length - 10));
      expect(await predictCommand(args)).toBe(0);
      const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PredictionLine);
      expect(lines.map((l) => l.id)).toEqual(['1', '2', '3']);
      expect(lines[1]).toEqual(JSON.parse(first.trim().split('\n')[1]));
      const summary = JSON.parse(String(stdout.mock.calls.at(-1)![0]));
      expect(summary).toMatchObject({ out, n: 3, generated: 2, skipped: 1 });
    } finally {
      stdout.mockRestore();
    }
  });

  it('the resume reader keeps complete lines, cuts only the last partial one, and refuses a corrupt middle line', async () => {
    const f = path.join(dir, 'r.jsonl');
    writeFileSync(f, '{"id":"a"}\n{"id":"b"}\n{"id":"c","out');
    expect(await readJsonlForResume(f, true)).toEqual({ lines: [{ id: 'a' }, { id: 'b' }], cut: 14 });
    expect(readFileSync(f, 'utf8')).toBe('{"id":"a"}\n{"id":"b"}\n');
    appendFileSync(f, '{"id":"c"}');
    expect((await readJsonlForResume(f, false)).lines).toHaveLength(2);
    writeFileSync(f, '{"id":"a"}\n{"id"\n{"id":"c"}\n');
    await expect(readJsonlForResume(f, true)).rejects.toThrow(/line 2 is not JSON/);
    expect(readFileSync(f, 'utf8')).toBe('{"id":"a"}\n{"id"\n{"id":"c"}\n');
    expect(await readJsonlForResume(path.join(dir, 'none.jsonl'), true)).toEqual({ lines: [], cut: 0 });
  });
});
