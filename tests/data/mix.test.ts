// Mixes: Alpaca-CoT's alpaca-belle-cot from three local sources with per-source counts derived by hand below: the
// committed synthetic sets standing in (tasks-en as alpaca, tasks-zh as belle, arith-en-cot as cot: 400, 200 and 600
// lines), and, when ../shared is there, the real ones (AlpaGasus random_9k, BELLE open-source 1k, Alpaca-CoT's
// formatted aqua CoT). Plus the strategies' semantics on small sizes.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { convert } from '../../src/data/converters';
import { validateManifest } from '../../src/data/manifest';
import { MixError, mixRecords, planMix, resolveMix, type MixSpec } from '../../src/data/mix';
import { haveShared, sharedPath, SYNTHETIC_DIR } from '../helpers/fixtures';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const manifest = validateManifest(JSON.parse(readFileSync(path.join(root, 'datasets-manifest.json'), 'utf8')));

const load = async (file: string) => (await convert(readFileSync(file), 'auto', { label: path.basename(file) })).records;
type Sources = Record<'alpaca-cleaned' | 'belle-0.5m' | 'cot-en', Awaited<ReturnType<typeof load>>>;

describe('alpaca-belle-cot from the committed synthetic sets', () => {
  let sources: Sources;
  beforeAll(async () => {
    const syn = (f: string) => load(path.join(SYNTHETIC_DIR, f));
    sources = { 'alpaca-cleaned': await syn('tasks-en.jsonl'), 'belle-0.5m': await syn('tasks-zh.jsonl'), 'cot-en': await syn('arith-en-cot.jsonl') };
  });
  const spec = resolveMix(manifest, ['alpaca-belle-cot']);

  it('concat: every record of each, in source order', () => {
    const { records, from, plan } = mixRecords(spec, sources);
    expect(plan.breakdown.map((b) => [b.id, b.taken])).toEqual([['alpaca-cleaned', 400], ['belle-0.5m', 200], ['cot-en', 600]]);
    expect(records.length).toBe(400 + 200 + 600);
    expect(records[400]).toBe(sources['belle-0.5m'][0]);
    expect(from[records.length - 1]).toBe('cot-en');
  });

  it('caps and ratios: alpaca@300, belle:0.5, cot:1.5 -> 300, 100, 900', () => {
    // 300 = the cap; 100 = round(0.5 * 200); 900 = round(1.5 * 600) = one whole pass (600) + 300 distinct.
    const { plan, records } = mixRecords(resolveMix(manifest, ['alpaca-cleaned@300', 'belle-0.5m:0.5', 'cot-en:1.5']), sources);
    expect(plan.breakdown).toEqual([
      { id: 'alpaca-cleaned', available: 400, capped: 300, taken: 300, unique: 300 },
      { id: 'belle-0.5m', available: 200, capped: 200, taken: 100, unique: 100 },
      { id: 'cot-en', available: 600, capped: 600, taken: 900, unique: 600 },
    ]);
    expect(records[299]).toBe(sources['alpaca-cleaned'][299]); // a cap keeps the first records
  });

  it('interleave-under stops with the smallest source (3 x 200), interleave-over cycles to the largest (3 x 600)', () => {
    const under = mixRecords({ ...spec, strategy: 'interleave-under' }, sources);
    expect(under.plan.breakdown.map((b) => b.taken)).toEqual([200, 200, 200]);
    expect(under.from.slice(0, 4)).toEqual(['alpaca-cleaned', 'belle-0.5m', 'cot-en', 'alpaca-cleaned']);
    const over = mixRecords({ ...spec, strategy: 'interleave-over' }, sources);
    expect(over.plan.breakdown.map((b) => [b.taken, b.unique])).toEqual([[600, 400], [600, 200], [600, 600]]);
  });
});

const REAL = ['data/alpagasus-filtered/random_9k.json', 'data/belle-open-source-1k/Belle_open_source_1k.json', 'data/alpaca-cot-formatted-cot/aqua_train.json'];
describe.skipIf(!haveShared('alpaca-belle-cot from three local sources', ...REAL))('alpaca-belle-cot from three local sources', () => {
  let sources: Sources;
  beforeAll(async () => {
    const [alpaca, belle, cot] = REAL.map(sharedPath);
    sources = {
      'alpaca-cleaned': await load(alpaca), // 9229 rows, 4 empty outputs rejected: 9225
      'belle-0.5m': await load(belle), // 1000
      'cot-en': await load(cot), // 2728
    };
  });
  const spec = resolveMix(manifest, ['alpaca-belle-cot']);

  it('concat: every record of each, in source order (as combination/alcapa_plus_belle_plus_cot.json)', () => {
    const { records, from, plan } = mixRecords(spec, sources);
    expect(plan.breakdown.map((b) => [b.id, b.taken])).toEqual([['alpaca-cleaned', 9225], ['belle-0.5m', 1000], ['cot-en', 2728]]);
    expect(records.length).toBe(9225 + 1000 + 2728);
    expect(records[9225]).toBe(sources['belle-0.5m'][0]);
    expect(from[records.length - 1]).toBe('cot-en');
  });

  it('caps and ratios: alpaca@5000, belle:0.5, cot:1.5 -> 5000, 500, 4092', () => {
    // 5000 = the cap; 500 = round(0.5 * 1000); 4092 = round(1.5 * 2728) = one whole pass (2728) + 1364 distinct.
    const { plan, records } = mixRecords({ ...resolveMix(manifest, ['alpaca-cleaned@5000', 'belle-0.5m:0.5', 'cot-en:1.5']) }, sources);
    expect(plan.breakdown).toEqual([
      { id: 'alpaca-cleaned', available: 9225, capped: 5000, taken: 5000, unique: 5000 },
      { id: 'belle-0.5m', available: 1000, capped: 1000, taken: 500, unique: 500 },
      { id: 'cot-en', available: 2728, capped: 2728, taken: 4092, unique: 2728 },
    ]);
    expect(records[4999]).toBe(sources['alpaca-cleaned'][4999]); // a cap keeps the first records
  });

  it('interleave-under stops with the smallest source (3 x 1000), interleave-over cycles to the largest (3 x 9225)', () => {
    const under = mixRecords({ ...spec, strategy: 'interleave-under' }, sources);
    expect(under.plan.breakdown.map((b) => b.taken)).toEqual([1000, 1000, 1000]);
    expect(under.from.slice(0, 4)).toEqual(['alpaca-cleaned', 'belle-0.5m', 'cot-en', 'alpaca-cleaned']);
    const over = mixRecords({ ...spec, strategy: 'interleave-over' }, sources);
    expect(over.plan.breakdown.map((b) => [b.taken, b.unique])).toEqual([[9225, 9225], [9225, 1000], [9225, 2728]]);
  });
});

describe('mix strategies on sizes', () => {
  const spec = (strategy: MixSpec['strategy'], ratios?: number[], seed = 7): MixSpec => ({ name: 't', strategy, seed, sources: ['a', 'b'].map((id, i) => ({ id, ratio: ratios?.[i] })) });

  it('ratio < 1 in concat is a seeded subset kept in order; the same seed gives the same plan', () => {
    const p = planMix({ name: 't', seed: 3, sources: [{ id: 'a', ratio: 0.3 }] }, [10]);
    const idx = p.order.map(([, j]) => j);
    expect(idx.length).toBe(3);
    expect([...idx].sort((x, y) => x - y)).toEqual(idx);
    expect(planMix({ name: 't', seed: 3, sources: [{ id: 'a', ratio: 0.3 }] }, [10]).order).toEqual(p.order);
  });

  it('weighted interleave-under stops at the first exhausted draw; -over exhausts every source', () => {
    const under = planMix(spec('interleave-under', [3, 1]), [6, 100]);
    expect(under.breakdown[0].taken).toBe(6); // a (weight 3/4) runs out first with overwhelming probability
    expect(under.breakdown[1].taken).toBeLessThan(20);
    const over = planMix(spec('interleave-over', [1, 1]), [3, 8]);
    expect(over.breakdown[0].unique).toBe(3);
    expect(over.breakdown[1].unique).toBe(8);
    expect(over.breakdown[1].taken).toBe(8); // b is exhausted exactly once when the loop stops
  });

  it('bad specs are MixErrors with the reason', () => {
    expect(() => planMix({ name: 'x', sources: [{ id: 'a', cap: 0 }] }, [5])).toThrow(MixError);
    expect(() => resolveMix(manifest, ['alpaca-cleaned', 'nope'])).toThrow(/'nope' is neither a mix .* nor a dataset id/);
    expect(() => resolveMix(manifest, ['cot-en:0'])).toThrow("'cot-en:0': the ratio after ':' must be a number > 0");
  });
});
