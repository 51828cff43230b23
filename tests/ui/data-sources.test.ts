/**
 * Reading data sources: the embedded index in its shapes (the real public/data/synthetic/index.json layout, a bare
 * list, unknown shapes), the default mix leaving out pretraining and held-out files, CSV records with quoting, and
 * the seeded share of a source.
 */
import { describe, expect, it } from 'vitest';
import { defaultMix, parseDataIndex } from '../../src/ui/stores/data-index';
import { csvRecords, parseCsvRows } from '../../src/worker-handlers/records-csv';
import { takeShare } from '../../src/worker-handlers/train-data';

const BASE = 'http://localhost:4173/data/synthetic/index.json';

describe('parseDataIndex', () => {
  it('reads {datasets: [{name, file, split, count}]} and keeps train files in the default mix', () => {
    const e = parseDataIndex({ datasets: [
      { name: 'corpus', file: 'corpus.jsonl', split: 'pretrain', count: 6000 },
      { name: 'arith-en-cot', file: 'arith-en-cot.jsonl', split: 'train', count: 600, description: 'CoT' },
      { name: 'test-arith-en', file: 'test-arith-en.jsonl', split: 'test', count: 100 },
      { name: 'notes', file: 'README.md' },
    ] }, BASE);
    expect(e.map((x) => [x.name, x.url, x.train, x.records])).toEqual([
      ['corpus', '/data/synthetic/corpus.jsonl', false, 6000],
      ['arith-en-cot', '/data/synthetic/arith-en-cot.jsonl', true, 600],
      ['test-arith-en', '/data/synthetic/test-arith-en.jsonl', false, 100],
    ]);
    expect(defaultMix(e)).toEqual([{ name: 'arith-en-cot', url: '/data/synthetic/arith-en-cot.jsonl', weight: 1 }]);
  });

  it('reads a bare list of file names, and nothing from an unknown shape', () => {
    expect(parseDataIndex(['a.jsonl', 'b.csv'], BASE).map((x) => x.url)).toEqual(['/data/synthetic/a.jsonl', '/data/synthetic/b.csv']);
    expect(parseDataIndex({ hello: 1 }, BASE)).toEqual([]);
    expect(parseDataIndex(null, BASE)).toEqual([]);
  });
});

describe('CSV records', () => {
  it('parses quotes, doubled quotes, commas and newlines inside fields, CRLF', () => {
    expect(parseCsvRows('a,b\r\n"x, y","say ""hi""\nthere"\n')).toEqual([['a', 'b'], ['x, y', 'say "hi"\nthere']]);
  });

  it('maps instruction/input/output columns and reports empty rows by their line', () => {
    const r = csvRecords('Instruction,Input,Output\nAdd,2 3,5\n,x,y\nName a fruit,,pear\n', 'f.csv');
    expect(r.records).toEqual([{ instruction: 'Add', input: '2 3', output: '5' }, { instruction: 'Name a fruit', input: '', output: 'pear' }]);
    expect(r.rejected).toEqual([{ where: 'row 3', reason: 'empty instruction' }]);
  });

  it('says which columns it needs', () => {
    expect(() => csvRecords('q,a\n1,2\n', 'f.csv')).toThrow("f.csv: the header row must name an 'instruction' and an 'output' column (found: q, a)");
  });
});

describe('takeShare', () => {
  it('keeps ceil(w * n) items in their order, the same for the same seed', () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    const a = takeShare(items, 0.35, 7);
    expect(a).toHaveLength(4);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
    expect(takeShare(items, 0.35, 7)).toEqual(a);
    expect(takeShare(items, 1, 7)).toBe(items);
  });
});
