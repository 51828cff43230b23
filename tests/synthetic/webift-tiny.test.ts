/**
 * The committed embedded default, public/models/webift-tiny: it is small (< 20 MB), its tokenizer matches its
 * vocabulary, it has learned the corpus (mean loss on held-back corpus text far below ln V of an untrained model),
 * it generates greedily, and `npm run demo -- --json` (with a tiny step budget) ends with the contract's JSON line.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/platform/backend';
import { loadModel } from '../../src/model/load';
import type { Model } from '../../src/model/types';
import { forward } from '../../src/model/transformer';
import { causalLmLoss } from '../../src/train/loss';
import { generateAll } from '../../src/generate/generate';
import { alpacaPrompt } from '../../src/tokenizer/alpaca';
import type { TextTokenizer } from '../../src/tokenizer/tokenizer';
import { folderSource } from '../../src/node/fs-source';
import { tokenizerFrom } from '../../src/node/model-tokenizer';
import { buildSynthetic } from '../../src/data/synthetic/datasets';

const ROOT = path.join(import.meta.dirname, '..', '..');
const DIR = path.join(ROOT, 'public', 'models', 'webift-tiny');

describe('webift-tiny', () => {
  let model: Model, tok: TextTokenizer;
  beforeAll(async () => {
    await initBackend({ prefer: ['cpu'] });
    const src = folderSource(DIR);
    model = await loadModel(src);
    tok = (await tokenizerFrom(src))!;
  });

  it('is a small llama with a matching tokenizer', () => {
    const bytes = readdirSync(DIR).reduce((a, f) => a + statSync(path.join(DIR, f)).size, 0);
    expect(bytes).toBeLessThan(20 * 2 ** 20);
    expect(model.config.family).toBe('llama');
    expect(tok.vocabSize).toBe(model.config.vocabSize);
    expect([tok.bosTokenId, tok.eosTokenId, tok.padTokenId]).toEqual([1, 2, 3]);
  });

  it('has learned the corpus: mean loss on corpus documents of another seed is far below ln V', () => {
    const docs = buildSynthetic(99, { corpusDocs: 8, arithmeticTrain: { en: 0, zh: 0 }, tasksTrainPerFamily: { en: 0, zh: 0 }, arithmeticTest: { en: 0, zh: 0 }, tasksTestPerFamily: { en: 0, zh: 0 } }).corpus;
    const ids = docs.flatMap((d) => tok.encode(d)).slice(0, 128);
    const out = forward(model, { ids: Int32Array.from(ids), B: 1, T: ids.length });
    const loss = causalLmLoss(out.logits!, Int32Array.from(ids));
    const v = loss.dataSync()[0];
    out.logits!.dispose();
    loss.dispose();
    // An untrained model scores ln(V) ~ 6.8; the pretraining log ends near 1.0 (train_log.jsonl).
    expect(v).toBeLessThan(2.0);
  });

  it('generates greedily from an Alpaca prompt', async () => {
    const prompt = tok.encode(alpacaPrompt('Name a fruit.'));
    const r = await generateAll(model, { ids: [prompt] }, { maxNewTokens: 8 }, { decode: (g) => tok.decode(g, { skipSpecialTokens: true }) });
    expect(r.tokens[0].length).toBeGreaterThan(0);
    expect(r.texts[0]).toMatch(/Apple|Pear/); // the corpus's framed "Name a fruit." examples answer Apple or Pear
  });

  it('npm run demo -- --json ends with the contract line', () => {
    const r = spawnSync(process.execPath, ['--import', './bin/node-env.mjs', 'scripts/demo.ts', '--json', '--steps', '2', '--heldout-n', '4', '--out', path.join(ROOT, 'test-results', 'demo-test')], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const last = JSON.parse(lines[lines.length - 1]);
    expect(Object.keys(last)).toEqual(['accuracy_before', 'accuracy_after', 'heldout_n', 'adapter_dir', 'seconds']);
    expect(last.heldout_n).toBe(4);
    expect(last.adapter_dir).toBe(path.join(ROOT, 'test-results', 'demo-test', 'adapter'));
    for (const k of ['accuracy_before', 'accuracy_after', 'seconds']) expect(typeof last[k]).toBe('number');
  }, 120_000);
});
