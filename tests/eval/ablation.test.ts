/**
 * The ablation runner (src/eval/ablation.ts, training with src/train/adapter-run.ts) and its report on webift-tiny (wasm, 2 steps, tiny made-up sources):
 * the variants' mixes hold exactly the records expected per source (counts derived by hand below), the held-out set
 * is the same for every variant, a rerun with the same seeds gives the identical base result, removing a source
 * changes the result, bad plans are one clear error, an aborted run stops, and the HTML report carries the table's
 * values, escapes the text it shows and references nothing outside itself.
 */
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import type { UnifiedRecord } from '../../src/data/records';
import { AblationError, planVariants, runAblation, type AblationResult, type AblationSpec } from '../../src/eval/ablation';
import { renderAblationReport, summaryText } from '../../src/eval/ablation-report';
import { loadModel } from '../../src/model/load';
import type { Model } from '../../src/model/types';
import { folderSource } from '../../src/node/fs-source';
import { tokenizerFrom } from '../../src/node/model-tokenizer';
import { loraConfig } from '../../src/peft';
import { initBackend } from '../../src/platform/backend';
import { trainAdapterRun } from '../../src/train/adapter-run';
import { resolveTrainConfig } from '../../src/train/config';
import type { TextTokenizer } from '../../src/tokenizer/tokenizer';
import { EMBEDDED_MODEL_DIR } from '../helpers/fixtures';

const recs = (n: number, make: (i: number) => [string, string]): UnifiedRecord[] => Array.from({ length: n }, (_, i) => {
  const [instruction, output] = make(i);
  return { instruction, input: '', output };
});
const SOURCES = {
  en: recs(12, (i) => [`Add ${i} and 1.`, `${i + 1}`]),
  zh: recs(10, (i) => [`${i}加2等于多少？`, `${i + 2}`]),
  cot: recs(8, (i) => [`Double ${i}.`, `${i} + ${i} = ${2 * i}. The answer is ${2 * i}.`]),
  extra: recs(5, (i) => [`Say ${i}.`, `${i}`]),
};

describe('ablation runner on webift-tiny', () => {
  let model: Model, tok: TextTokenizer;
  let first: AblationResult;
  const spec = (over: Partial<AblationSpec> = {}): AblationSpec => ({
    name: 'en + zh + cot', model, tokenizer: tok, modelLabel: 'webift-tiny (embedded)', embedded: true, sources: SOURCES, base: ['en', 'zh', 'cot'],
    changes: [{ without: 'zh' }, { with: 'extra' }], peft: loraConfig({ r: 2, lora_alpha: 4, lora_dropout: 0.1, target_modules: ['q_proj', 'v_proj'] }),
    train: resolveTrainConfig({ maxSteps: 2, batchSize: 2, cutoffLen: 64, warmupSteps: 0, evalSplit: 0.2, evalEvery: 0, seed: 7, lr: 1e-2 }), trainer: trainAdapterRun,
    promptFormat: 'alpaca', ...over,
  });
  const zeroClock = () => 0;
  beforeAll(async () => {
    await initBackend({ prefer: ['wasm'] });
    model = await loadModel(folderSource(EMBEDDED_MODEL_DIR));
    tok = (await tokenizerFrom(folderSource(EMBEDDED_MODEL_DIR)))!;
    const seen: string[] = [];
    first = await runAblation(spec(), { clock: zeroClock, onProgress: (p) => void (p.phase === 'done' && seen.push(p.id)) });
    expect(seen).toEqual(['base', 'without-zh', 'with-extra']);
  });
  afterAll(() => model?.dispose());

  it('mixes exactly the records expected per source', () => {
    // evalSplit 0.2 holds out round(0.2 n) of each source (at least 1): en 12 -> 2, zh 10 -> 2, cot 8 -> round(1.6) = 2,
    // extra 5 -> 1. Concat without ratios then takes every remaining record: en 10, zh 8, cot 6, extra 4.
    expect(first.heldOut).toEqual({ bySource: { en: 2, zh: 2, cot: 2, extra: 1 }, total: 7 });
    const taken = (i: number) => Object.fromEntries(first.variants[i].mix.map((m) => [m.id, m.taken]));
    expect(first.variants.map((v) => v.id)).toEqual(['base', 'without-zh', 'with-extra']);
    expect(taken(0)).toEqual({ en: 10, zh: 8, cot: 6 });
    expect(taken(1)).toEqual({ en: 10, cot: 6 });
    expect(taken(2)).toEqual({ en: 10, zh: 8, cot: 6, extra: 4 });
    expect(first.variants.map((v) => v.records)).toEqual([24, 16, 28]);
    // Every variant is scored on the same 7 held-out examples, per source too.
    for (const v of first.variants) {
      expect(v.heldOut.n).toBe(7);
      expect(Object.keys(v.heldOut.bySource)).toEqual(['en', 'zh', 'cot', 'extra']);
      expect(v.lossCurve.map((p) => p.step)).toEqual([1, 2]);
      expect(v.heldOut.perplexity).toBeCloseTo(Math.exp(v.heldOut.loss), 10);
    }
  });

  it('gives the identical base result on a rerun with the same seeds, and removing a source changes it', async () => {
    // The held-out set is drawn from every source some variant uses, so the rerun keeps 'extra' among them.
    const again = await runAblation(spec({ changes: [{ with: 'extra' }] }), { clock: zeroClock });
    expect(again.variants.map((v) => v.id)).toEqual(['base', 'with-extra']);
    expect(again.variants[0]).toEqual(first.variants[0]);
    expect(first.variants[1].lossCurve).not.toEqual(first.variants[0].lossCurve);
    expect(first.variants[1].heldOut.loss).not.toBe(first.variants[0].heldOut.loss);
  });

  it('refuses a plan that cannot run, with one clear error', async () => {
    const plan = (changes: AblationSpec['changes'], base = ['en', 'zh']) => () => planVariants({ sources: SOURCES, base, changes });
    expect(plan([{ without: 'cot' }])).toThrow(/--without cot: not a source of the base recipe \(en, zh\)/);
    expect(plan([{ with: 'en' }])).toThrow(/--with en: already a source/);
    expect(plan([{ with: 'nope' }])).toThrow(/no records for source 'nope'/);
    expect(plan([{ without: 'en' }], ['en'])).toThrow(/no other source/);
    expect(plan([{ without: 'en' }, { without: 'en' }])).toThrow(AblationError);
    const ctl = new AbortController();
    ctl.abort();
    await expect(runAblation(spec(), { signal: ctl.signal })).rejects.toThrow(/abort/i);
  });

  it('renders a self-contained report carrying the table values', () => {
    const html = renderAblationReport({ ...first, name: 'en + <zh> & cot' });
    for (const v of first.variants) {
      expect(html).toContain(`<td>${v.label}</td>`);
      expect(html).toContain(`<td>${v.finalTrainLoss.toFixed(4)}</td>`);
      expect(html).toContain(`<td>${v.heldOut.loss.toFixed(4)}</td>`);
      expect(html).toContain(`<td>${v.heldOut.perplexity.toFixed(3)}</td>`);
    }
    expect(html).toContain('<td>removed zh</td>');
    expect(html).toContain('<td>added extra</td>');
    expect(html).toContain('Ablation: en + &lt;zh&gt; &amp; cot');
    expect(html.match(/<svg /g)).toHaveLength(2); // loss curves, held-out bars (no task set here)
    expect(html.match(/<polyline /g)).toHaveLength(3);
    expect(html).toContain('webift-tiny, the small model embedded');
    expect(renderAblationReport({ ...first, model: { label: 'x', embedded: false } })).not.toContain('small model embedded');
    // Nothing outside the file: no URL, no script, no stylesheet or image link.
    expect(html).not.toMatch(/https?:|\/\/|<script|<link|<img|src=|href=|url\(/i);
    expect(summaryText(first).split('\n')).toHaveLength(4);
  });
});
