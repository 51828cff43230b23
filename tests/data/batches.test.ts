/**
 * BatchSource over synthetic examples whose ids name them (example i = [1000*(i+1), 1000*(i+1)+1, ...]), so every
 * batch can be checked cell by cell: determinism per seed, exact epoch coverage, right padding / mask / labels,
 * packing, and the resumable cursor (k batches, save, restore in a fresh source = the uninterrupted stream).
 * Also the eval split, datasetStats, the Rng, and one pass from a committed file through the embedded model's
 * tokenizer to a batch.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMBEDDED_MODEL_DIR, SYNTHETIC_DIR } from '../helpers/fixtures';
import { BatchSource, type Batch, type BatchOptions, type Example } from '../../src/data/batches';
import { datasetStats } from '../../src/data/dataset-stats';
import { parseRecords } from '../../src/data/records';
import { permutation, Rng } from '../../src/data/rng';
import { splitTrainEval } from '../../src/data/split';
import { tokenizeRecords } from '../../src/data/tokenize-example';
import { loadTokenizer } from '../../src/tokenizer/tokenizer';

const PAD = 0;
/** Example i: length 3 + (7i mod 11), ids 1000(i+1)+t, the first third masked. */
function synth(n: number): Example[] {
  return Array.from({ length: n }, (_, i) => {
    const L = 3 + ((7 * i) % 11);
    const ids = Int32Array.from({ length: L }, (_, t) => 1000 * (i + 1) + t);
    const labels = ids.map((x, t) => (t < Math.floor(L / 3) ? -100 : x));
    return { ids, labels };
  });
}

function drain(src: BatchSource): Batch[] {
  const out: Batch[] = [];
  for (let b = src.next(); b; b = src.next()) out.push(b);
  return out;
}

const EX = synth(23);
const OPTS: BatchOptions = { batchSize: 4, padId: PAD, seed: 7, epochs: 3 };

describe('BatchSource', () => {
  it('is deterministic for a seed and differs for another seed', () => {
    const a = drain(new BatchSource(EX, OPTS));
    expect(drain(new BatchSource(EX, OPTS))).toEqual(a);
    const b = drain(new BatchSource(EX, { ...OPTS, seed: 8 }));
    expect(b.map((x) => [...x.indices])).not.toEqual(a.map((x) => [...x.indices]));
  });

  it('covers every example exactly once per epoch, reshuffling each epoch, then returns null', () => {
    const src = new BatchSource(EX, OPTS);
    const batches = drain(src);
    expect(batches.length).toBe(3 * 6); // ceil(23 / 4) per epoch
    expect(src.totalBatches()).toBe(batches.length);
    const orders = [0, 1, 2].map((e) => batches.filter((b) => b.epoch === e).flatMap((b) => [...b.indices]));
    for (const order of orders) expect([...order].sort((x, y) => x - y)).toEqual([...EX.keys()]);
    expect(orders[0]).not.toEqual(orders[1]);
    expect(orders[0]).not.toEqual([...EX.keys()]);
    expect(batches.map((b) => b.B)).toEqual([4, 4, 4, 4, 4, 3, 4, 4, 4, 4, 4, 3, 4, 4, 4, 4, 4, 3]);
    expect(src.next()).toBeNull();
    expect(src.next()).toBeNull();
  });

  it('pads on the right: ids then pad, mask 1 then 0, labels then -100; T rounded up to padToMultipleOf', () => {
    for (const m of [1, 8]) {
      for (const b of drain(new BatchSource(EX, { ...OPTS, padToMultipleOf: m }))) {
        const lens = [...b.indices].map((i) => EX[i].ids.length);
        expect(b.T).toBe(Math.ceil(Math.max(...lens) / m) * m);
        expect(b.ids.length).toBe(b.B * b.T);
        expect(b.tokens).toBe(lens.reduce((s, x) => s + x, 0));
        let targets = 0;
        [...b.indices].forEach((i, r) => {
          const L = EX[i].ids.length;
          const row = (a: Int32Array) => [...a.slice(r * b.T, (r + 1) * b.T)];
          expect(row(b.ids)).toEqual([...EX[i].ids, ...new Array(b.T - L).fill(PAD)]);
          expect(row(b.labels)).toEqual([...EX[i].labels, ...new Array(b.T - L).fill(-100)]);
          expect(row(b.attentionMask)).toEqual([...new Array(L).fill(1), ...new Array(b.T - L).fill(0)]);
          targets += [...EX[i].labels.slice(1)].filter((l) => l !== -100).length;
        });
        expect(b.targets).toBe(targets);
      }
    }
  });

  it('keeps the order without shuffle, and dropLast skips each short last batch', () => {
    const plain = drain(new BatchSource(EX, { ...OPTS, shuffle: false, epochs: 1 }));
    expect(plain.flatMap((b) => [...b.indices])).toEqual([...EX.keys()]);
    const dl = new BatchSource(EX, { ...OPTS, dropLast: true });
    const batches = drain(dl);
    expect(batches.length).toBe(15);
    expect(dl.totalBatches()).toBe(15);
    expect(batches.every((b) => b.B === 4)).toBe(true);
  });

  it('packs whole examples greedily into rows of at most cutoffLen, labels kept per example', () => {
    const cutoffLen = 20;
    const src = new BatchSource(EX, { ...OPTS, packing: true, cutoffLen });
    const batches = drain(src);
    expect(src.totalBatches()).toBe(batches.length);
    for (let e = 0; e < 3; e++) {
      const order = batches.filter((b) => b.epoch === e).flatMap((b) => [...b.indices]);
      expect([...order].sort((x, y) => x - y)).toEqual([...EX.keys()]);
    }
    let rowsSeen = 0;
    for (const b of batches) {
      expect(b.T).toBeLessThanOrEqual(cutoffLen);
      // Rebuild the rows: consecutive indices fill a row while they fit.
      const idx = [...b.indices];
      for (let r = 0, k = 0; r < b.B; r++) {
        let t = 0;
        const rowIds: number[] = [], rowLabels: number[] = [];
        while (k < idx.length && t + EX[idx[k]].ids.length <= cutoffLen) {
          rowIds.push(...EX[idx[k]].ids);
          rowLabels.push(...EX[idx[k]].labels);
          t += EX[idx[k++]].ids.length;
        }
        expect(t).toBeGreaterThan(0);
        if (k < idx.length) expect(t + EX[idx[k]].ids.length).toBeGreaterThan(cutoffLen); // greedy: the next did not fit
        const row = (a: Int32Array) => [...a.slice(r * b.T, (r + 1) * b.T)];
        expect(row(b.ids)).toEqual([...rowIds, ...new Array(b.T - t).fill(PAD)]);
        expect(row(b.labels)).toEqual([...rowLabels, ...new Array(b.T - t).fill(-100)]);
        expect(row(b.attentionMask)).toEqual([...new Array(t).fill(1), ...new Array(b.T - t).fill(0)]);
        rowsSeen++;
      }
    }
    expect(rowsSeen).toBeLessThan(3 * EX.length); // packing did pack
    const fixed = drain(new BatchSource(EX, { ...OPTS, packing: true, cutoffLen, padToMultipleOf: cutoffLen }));
    expect(fixed.every((b) => b.T === cutoffLen)).toBe(true);
    expect(() => new BatchSource(EX, { ...OPTS, packing: true, cutoffLen: 8 })).toThrow(/more than cutoffLen 8/);
  });

  for (const packing of [false, true]) {
    it(`resumes from a saved cursor exactly (packing ${packing})`, () => {
      const opts: BatchOptions = { ...OPTS, packing, cutoffLen: 24 };
      const all = drain(new BatchSource(EX, opts));
      const perEpoch = all.filter((b) => b.epoch === 0).length;
      for (const k of [0, 1, 3, perEpoch - 1, perEpoch, perEpoch + 2, all.length - 1, all.length]) {
        const a = new BatchSource(EX, opts);
        for (let i = 0; i < k; i++) a.next();
        const saved = JSON.parse(JSON.stringify(a.cursor()));
        const b = new BatchSource(EX, opts);
        b.restore(saved);
        expect(drain(b)).toEqual(all.slice(k));
        expect(drain(a)).toEqual(all.slice(k));
      }
    });
  }

  for (const packing of [false, true]) {
    it(`supports the trainer's pass protocol: null after each pass, startEpoch(e), batchesPerEpoch (packing ${packing})`, () => {
      const opts: BatchOptions = { ...OPTS, packing, cutoffLen: 24 };
      const all = drain(new BatchSource(EX, opts)); // 3 epochs in one go
      const one = { ...opts, epochs: 1 };
      const src = new BatchSource(EX, one);
      const passes: Batch[][] = [];
      const counts: number[] = [];
      for (let e = 0; e < 3; e++) {
        if (e > 0) src.startEpoch(e);
        counts.push(src.batchesPerEpoch);
        passes.push(drain(src));
      }
      expect(passes.flat()).toEqual(all);
      expect(counts).toEqual(passes.map((p) => p.length));
      // Any epoch reached directly (replayed from the seed) has the same order.
      const direct = new BatchSource(EX, one);
      direct.startEpoch(2);
      expect(drain(direct)).toEqual(passes[2]);
      // Resume in the middle of pass 1, then go on to pass 2 as the trainer would.
      const a = new BatchSource(EX, one);
      drain(a);
      a.startEpoch(1);
      a.next();
      a.next();
      const b = new BatchSource(EX, one);
      b.restore(JSON.parse(JSON.stringify(a.cursor())));
      const rest = drain(b);
      b.startEpoch(2);
      expect([...rest, ...drain(b)]).toEqual([...passes[1].slice(2), ...passes[2]]);
    });
  }

  it('refuses a cursor from other data or options; a finished run extends to more epochs', () => {
    const a = new BatchSource(EX, OPTS);
    a.next();
    const c = a.cursor();
    expect(() => new BatchSource(EX, { ...OPTS, batchSize: 5 }).restore(c)).toThrow(/other data or batch options/);
    expect(() => new BatchSource(synth(22), OPTS).restore(c)).toThrow(/other data or batch options/);
    const sameLengths = EX.map((e) => ({ ids: e.ids.map((x) => x + 1), labels: e.labels }));
    expect(() => new BatchSource(sameLengths, OPTS).restore(c)).toThrow(/other data or batch options/);
    expect(() => new BatchSource(EX, OPTS).restore({ ...c, offset: 99 })).toThrow(/out of range/);
    const done = new BatchSource(EX, OPTS);
    drain(done);
    const longer = new BatchSource(EX, { ...OPTS, epochs: 4 });
    longer.restore(done.cursor());
    expect(drain(longer)).toEqual(drain(new BatchSource(EX, { ...OPTS, epochs: 4 })).filter((b) => b.epoch === 3));
  });
});

describe('splitTrainEval', () => {
  const items = Array.from({ length: 103 }, (_, i) => `r${i}`);
  it('holds out a seeded fraction, disjoint from train, covering all, in the original order', () => {
    const s = splitTrainEval(items, { evalFraction: 0.1, seed: 1 });
    expect(s.eval.length).toBe(10);
    expect(s.train.length).toBe(93);
    const ev = new Set(s.evalIndices);
    expect([...s.trainIndices].some((i) => ev.has(i))).toBe(false);
    expect([...s.trainIndices, ...s.evalIndices].sort((a, b) => a - b)).toEqual([...items.keys()]);
    expect([...s.evalIndices]).toEqual([...s.evalIndices].sort((a, b) => a - b));
    expect(s.eval).toEqual([...s.evalIndices].map((i) => items[i]));
    expect(splitTrainEval(items, { evalFraction: 0.1, seed: 1 })).toEqual(s);
    expect([...splitTrainEval(items, { evalFraction: 0.1, seed: 2 }).evalIndices]).not.toEqual([...s.evalIndices]);
  });
  it('takes a count, keeps at least one of each part, and checks its arguments', () => {
    expect(splitTrainEval(items, { evalSize: 20 }).eval.length).toBe(20);
    expect(splitTrainEval(items, { evalFraction: 0.001 }).eval.length).toBe(1);
    expect(splitTrainEval(items, { evalFraction: 0 }).train.length).toBe(103);
    expect(splitTrainEval(['a', 'b'], { evalFraction: 0.9 }).train.length).toBe(1);
    expect(() => splitTrainEval(items, { evalFraction: 1 })).toThrow(/evalFraction/);
    expect(() => splitTrainEval(items, { evalSize: 103 })).toThrow(/evalSize/);
  });
});

describe('datasetStats and Rng', () => {
  it('counts tokens, learned tokens, truncation and a power-of-two histogram', () => {
    const ex = [3, 15, 16, 40, 40].map((L, i) => ({ ids: new Int32Array(L), labels: new Int32Array(L).fill(i === 0 ? -100 : 5), truncated: i === 4 }));
    expect(datasetStats(ex)).toEqual({
      count: 5, totalTokens: 114, learnedTokens: 0 + 14 + 15 + 39 + 39, minLength: 3, maxLength: 40, meanLength: 114 / 5,
      truncated: 1, truncatedFraction: 0.2,
      histogram: [{ lo: 0, hi: 16, count: 2 }, { lo: 16, hi: 32, count: 1 }, { lo: 32, hi: 64, count: 2 }],
    });
    expect(datasetStats(ex, { edges: [0, 10, 20] }).histogram).toEqual([{ lo: 0, hi: 10, count: 1 }, { lo: 10, hi: 20, count: 4 }]);
    expect(datasetStats([]).count).toBe(0);
  });

  it('Rng: state round trip, unbiased bounds, permutations', () => {
    const r = new Rng(123);
    r.nextU32();
    const s = r.state;
    const a = [r.nextU32(), r.next(), r.int(10)];
    expect([new Rng(0).restore(s).nextU32(), new Rng(0).restore(s).nextU32()]).toEqual([a[0], a[0]]);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 6000; i++) counts[r.int(6)]++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
    const p = permutation(50, new Rng(5));
    expect([...p].sort((x, y) => x - y)).toEqual([...Array(50).keys()]);
    expect([...permutation(50, new Rng(5))]).toEqual([...p]);
  });
});

describe('from a committed file to a batch', () => {
  it('demo-train head -> the webift-tiny tokenizer -> split -> batches', () => {
    const json = (f: string) => JSON.parse(readFileSync(path.join(EMBEDDED_MODEL_DIR, f), 'utf8'));
    const tok = loadTokenizer(json('tokenizer.json'), json('tokenizer_config.json'));
    const text = readFileSync(path.join(SYNTHETIC_DIR, 'demo-train.jsonl'), 'utf8');
    const parsed = parseRecords(text);
    const head = parsed.records.slice(0, 200);
    const { examples, rejected } = tokenizeRecords(head, tok, { cutoffLen: 256, where: parsed.where });
    expect(examples.length + rejected.length).toBe(200);
    const stats = datasetStats(examples);
    expect(stats.maxLength).toBeLessThanOrEqual(256);
    expect(stats.truncated).toBe(examples.filter((e) => e.truncated).length);
    const { train, eval: ev } = splitTrainEval(examples, { evalFraction: 0.05, seed: 42 });
    expect(ev.length).toBe(Math.round(0.05 * examples.length));
    const src = new BatchSource(train, { batchSize: 8, padId: 0, seed: 42 });
    const b = src.next()!;
    expect(b.B).toBe(8);
    expect(b.ids[0]).toBe(1); // every row starts with <s>
    expect(b.targets).toBeGreaterThan(0);
    expect(src.totalBatches()).toBe(Math.ceil(train.length / 8));
  });
});
