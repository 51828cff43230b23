// Mixes: Alpaca-CoT's alpaca-belle-cot reproduced from three local sources (AlpaGasus random_9k as alpaca, BELLE
// open-source 1k as belle, Alpaca-CoT's formatted aqua CoT as cot) with per-source counts derived by hand below,
// plus the strategies' semantics on small sizes.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { convert } from '../../src/data/converters';
import { validateManifest } from '../../src/data/manifest';
import { MixError, mixRecords, planMix, resolveMix, type MixSpec } from '../../src/data/mix';
import { HAVE_SHARED, SHARED } from '../helpers/fixtures';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const manifest = validateManifest(JSON.parse(readFileSync(path.join(root, 'datasets-manifest.json'), 'utf8')));

describe.skipIf(!HAVE_SHARED)('alpaca-belle-cot from three local sources', async () => {
  const D = path.join(SHARED, 'data');
  const load = async (f: string) => (await convert(readFileSync(path.join(D, f)), 'auto', { label: f })).records;
  const sources = {
    'alpaca-cleaned': await load('alpagasus-filtered/random_9k.json'), // 9229 rows, 4 empty outputs rejected: 9225
    'belle-0.5m': await load('belle-open-source-1k/Belle_open_source_1k.json'), // 1000
    'cot-en': await load('alpaca-cot-formatted-cot/aqua_train.json'), // 2728
  };
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
