// CSV and parquet converters: the test writes the file itself (an RFC 4180 writer and a minimal parquet writer below,
// independent of the converter code), converts it back, and compares every record with the source. Sources: the
// committed synthetic sets plus hand-written awkward records (every checkout), and, when ../shared is there, real
// Code Alpaca 2k and GSM8K test records (no CSV or parquet file ships there, so these are real records in them).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convert } from '../../src/data/converters';
import { parseCsv } from '../../src/data/converters/csv';
import { haveShared, sharedPath, SYNTHETIC_DIR } from '../helpers/fixtures';

const enc = new TextEncoder();

function toCsv(header: string[], rows: string[][]): string {
  const q = (c: string) => (/[",\n\r]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
  return [header, ...rows].map((r) => r.map(q).join(',')).join('\r\n') + '\r\n';
}

// ---- a minimal parquet writer: one row group, REQUIRED UTF8 BYTE_ARRAY columns, PLAIN, uncompressed (format spec:
// github.com/apache/parquet-format, Thrift compact protocol). Enough to exercise hyparquet end to end.
class Compact {
  bytes: number[] = [];
  private last: number[] = [0];
  varint(n: bigint) {
    while (n >= 0x80n) {
      this.bytes.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.bytes.push(Number(n));
  }
  zigzag(n: number) {
    const b = BigInt(n);
    this.varint(b >= 0n ? b << 1n : (-b << 1n) - 1n);
  }
  field(id: number, type: number) {
    const d = id - this.last[this.last.length - 1];
    if (d > 0 && d < 16) this.bytes.push((d << 4) | type);
    else throw new Error('field ids must grow by < 16');
    this.last[this.last.length - 1] = id;
  }
  i32(id: number, v: number) { this.field(id, 5); this.zigzag(v); }
  i64(id: number, v: number) { this.field(id, 6); this.zigzag(v); }
  bin(id: number, s: string) { this.field(id, 8); const b = enc.encode(s); this.varint(BigInt(b.length)); this.bytes.push(...b); }
  struct(id: number, body: () => void) { this.field(id, 12); this.last.push(0); body(); this.bytes.push(0); this.last.pop(); }
  list(id: number, elemType: number, items: (() => void)[]) {
    this.field(id, 9);
    this.bytes.push(items.length < 15 ? (items.length << 4) | elemType : 0xf0 | elemType);
    if (items.length >= 15) this.varint(BigInt(items.length));
    for (const it of items) { this.last.push(0); it(); if (elemType === 12) this.bytes.push(0); this.last.pop(); }
  }
}

function writeParquet(columns: Record<string, string[]>): Uint8Array {
  const names = Object.keys(columns);
  const n = columns[names[0]].length;
  const out: number[] = [...enc.encode('PAR1')];
  const chunks: { offset: number; size: number }[] = [];
  for (const name of names) {
    const data: number[] = [];
    for (const v of columns[name]) {
      const b = enc.encode(v);
      data.push(b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24);
      for (const x of b) data.push(x);
    }
    const h = new Compact();
    h.i32(1, 0); h.i32(2, data.length); h.i32(3, data.length);
    h.struct(5, () => { h.i32(1, n); h.i32(2, 0); h.i32(3, 3); h.i32(4, 3); });
    h.bytes.push(0);
    chunks.push({ offset: out.length, size: h.bytes.length + data.length });
    for (const part of [h.bytes, data]) for (const x of part) out.push(x); // no spread of a long array into push()
  }
  const m = new Compact();
  m.i32(1, 1);
  m.list(2, 12, [() => { m.bin(4, 'schema'); m.i32(5, names.length); }, ...names.map((name) => () => { m.i32(1, 6); m.i32(3, 0); m.bin(4, name); m.i32(6, 0); })]);
  m.i64(3, n);
  m.list(4, 12, [() => {
    m.list(1, 12, names.map((name, i) => () => {
      m.i64(2, chunks[i].offset);
      m.struct(3, () => {
        m.i32(1, 6); m.list(2, 5, [() => m.zigzag(0)]); m.list(3, 8, [() => { const b = enc.encode(name); m.varint(BigInt(b.length)); m.bytes.push(...b); }]);
        m.i32(4, 0); m.i64(5, n); m.i64(6, chunks[i].size); m.i64(7, chunks[i].size); m.i64(9, chunks[i].offset);
      });
    }));
    m.i64(2, chunks.reduce((a, c) => a + c.size, 0)); m.i64(3, n);
  }]);
  m.bytes.push(0);
  const len = m.bytes.length;
  out.push(...m.bytes, len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, len >>> 24, ...enc.encode('PAR1'));
  return Uint8Array.from(out);
}

describe('csv parser', () => {
  it('quotes, doubled quotes, CRLF and newlines inside fields; line numbers of row starts', () => {
    const rows = parseCsv('a,b\r\n"x, y","say ""hi"""\n"multi\nline",z\n');
    expect(rows).toEqual([
      { cells: ['a', 'b'], line: 1 },
      { cells: ['x, y', 'say "hi"'], line: 2 },
      { cells: ['multi\nline', 'z'], line: 3 },
    ]);
  });

  it('a row with the wrong column count and a missing column are clear', async () => {
    const r = await convert(enc.encode('instruction,input,output\na,,b\nc,d\ne,f,g\n'), 'csv', { label: 'x.csv' });
    expect(r.records).toEqual([{ instruction: 'a', input: '', output: 'b' }, { instruction: 'e', input: 'f', output: 'g' }]);
    expect(r.rejected).toEqual([{ where: 'line 3', reason: '2 columns, the header has 3' }]);
    await expect(convert(enc.encode('prompt,answer\na,b\n'), 'csv', { label: 'y.csv' })).rejects.toThrow('y.csv: no "instruction" column in the header (columns: prompt, answer)');
  });
});

type Row = Record<string, string>;
const synthetic = (f: string): Row[] => readFileSync(path.join(SYNTHETIC_DIR, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);

// What CSV and parquet must carry through untouched, written out by hand; one empty output (rejected).
const AWKWARD: Row[] = [
  { instruction: 'Quote this: "to be, or not to be"', input: '', output: '"to be, or not to be", said Hamlet.' },
  { instruction: 'Write a CSV line.', input: 'a, b and "c"', output: 'a,"b ""and"" c"\r\nd,e' },
  { instruction: 'Print two lines in Python.', input: '', output: 'print("one")\nprint(\'two\')\n' },
  { instruction: 'Leave this empty.', input: 'x', output: '   ' },
  { instruction: '  leading and trailing spaces  ', input: '\ttab', output: 'kept as they are ' },
  { instruction: '把"逗号,引号"翻译成英文。', input: '', output: 'comma, quote' },
  { instruction: 'Emoji 🙂 and a lone \\ backslash', input: '', output: '🙂\\' },
];

describe('csv and parquet on committed and hand-written records', () => {
  const records = [...AWKWARD, ...synthetic('tasks-en.jsonl'), ...synthetic('arith-zh-cot.jsonl').slice(0, 100)];
  const kept = records.flatMap((x, i) => (x.output.trim() ? [[i, x] as const] : []));
  const fields = (x: Row) => ({ instruction: x.instruction, input: x.input, output: x.output });

  it('csv: every record round-trips (quotes, commas, CR LF and newlines in fields, CJK); the empty output is rejected', async () => {
    expect(kept.length).toBe(records.length - 1);
    const text = toCsv(['instruction', 'input', 'output'], records.map((x) => [x.instruction, x.input, x.output]));
    const r = await convert(enc.encode(text), 'auto', { label: 'mixed.csv' });
    expect(r.shape).toBe('csv');
    expect(r.rows).toBe(records.length);
    expect(r.accepted + r.rejected.length).toBe(records.length);
    expect(r.rejected.length).toBe(1);
    // Record 3 starts on line 8: the header is line 1 and records 1 and 2 hold one and two line breaks.
    expect(r.rejected[0].where).toBe('line 8');
    expect(r.records).toEqual(kept.map(([, x]) => fields(x)));
  });

  it('parquet: alpaca columns keep every field, rejections by row', async () => {
    const pq = writeParquet({ instruction: records.map((x) => x.instruction), input: records.map((x) => x.input), output: records.map((x) => x.output) });
    const r = await convert(pq, 'auto', { label: 'mixed.parquet' });
    expect(r.shape).toBe('parquet');
    expect(r.records).toEqual(kept.map(([, x]) => fields(x)));
    expect(r.where).toEqual(kept.map(([i]) => `row ${i + 1}`));
    expect(r.rejected.map((x) => x.where)).toEqual(['row 4']);
  });

  it('parquet: GSM8K-style question/answer columns, annotations stripped, the #### line kept', async () => {
    const arith = synthetic('test-arith-en.jsonl');
    const question = ['Natalia sold 48 clips in April and half as many in May. How many in all?', 'No final line here.', ...arith.map((x) => x.instruction)];
    const answer = ['In May she sold 48/2 = <<48/2=24>>24 clips.\nIn all: 48+24 = <<48+24=72>>72 clips.\n#### 72', 'Just reasoning.', ...arith.map((x) => `${x.output}\n#### ${x.answer}`)];
    const r = await convert(writeParquet({ question, answer }), 'auto', { label: 'gsm.parquet' });
    expect(r.rows).toBe(2 + arith.length);
    expect(r.records[0]).toEqual({ instruction: question[0], input: '', output: 'In May she sold 48/2 = 24 clips.\nIn all: 48+24 = 72 clips.\n#### 72' });
    expect(r.rejected).toEqual([{ where: 'row 2', reason: expect.stringMatching(/no "#### <answer>" line/) }]);
    expect(r.records.slice(1)).toEqual(arith.map((x) => ({ instruction: x.instruction, input: '', output: `${x.output}\n#### ${x.answer}` })));
  });

  it('a corrupt parquet file is one clear error', async () => {
    const pq = writeParquet({ instruction: ['a'], output: ['b'] });
    const broken = pq.slice();
    broken.set([0, 0, 0, 0], broken.length - 8); // footer length 0
    await expect(convert(broken, 'parquet', { label: 'bad.parquet' })).rejects.toThrow(/bad.parquet: not a readable parquet file/);
  });
});

const CODE_ALPACA = 'data/code-alpaca-2k/code_alpaca_2k.json', GSM8K = 'data/eval/gsm8k-test/test.jsonl';
describe.skipIf(!haveShared('csv and parquet on real records', CODE_ALPACA, GSM8K))('csv and parquet on real records', () => {
  let code: Row[];
  beforeAll(() => {
    code = JSON.parse(readFileSync(sharedPath(CODE_ALPACA), 'utf8')) as Row[];
  });

  it('csv: Code Alpaca 2k (quotes, commas, newlines in code) round-trips; empty outputs rejected by line', async () => {
    const text = toCsv(['instruction', 'input', 'output'], code.map((r) => [r.instruction, r.input, r.output]));
    const r = await convert(enc.encode(text), 'auto', { label: 'code_alpaca_2k.csv' });
    expect(r.shape).toBe('csv');
    expect(r.rows).toBe(code.length);
    expect(r.accepted + r.rejected.length).toBe(code.length);
    const empty = code.filter((x) => x.output.trim() === '').length;
    expect(r.rejected.length).toBe(empty);
    const kept = code.filter((x) => x.output.trim() !== '');
    r.records.forEach((rec, i) => expect(rec).toEqual({ instruction: kept[i].instruction, input: kept[i].input, output: kept[i].output }));
  });

  it('parquet: GSM8K test as question/answer columns equals the JSONL conversion; alpaca columns too', async () => {
    const gsm = readFileSync(sharedPath(GSM8K), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>);
    const pq = writeParquet({ question: gsm.map((g) => g.question), answer: gsm.map((g) => g.answer) });
    const r = await convert(pq, 'auto', { label: 'test.parquet' });
    expect(r.shape).toBe('parquet');
    expect(r.rows).toBe(1319);
    const viaJsonl = await convert(readFileSync(sharedPath(GSM8K)), 'gsm8k');
    expect(r.records).toEqual(viaJsonl.records);
    expect(r.where[5]).toBe('row 6');

    const head = code.slice(0, 300);
    const p2 = await convert(writeParquet({ instruction: head.map((x) => x.instruction), input: head.map((x) => x.input), output: head.map((x) => x.output) }), 'parquet');
    expect(p2.accepted + p2.rejected.length).toBe(300);
    const kept = head.flatMap((x, i) => (x.output.trim() ? [[i, x] as const] : []));
    expect(p2.records.length).toBe(kept.length);
    kept.forEach(([i, x], k) => {
      expect(p2.where[k]).toBe(`row ${i + 1}`);
      expect(p2.records[k]).toEqual({ instruction: x.instruction, input: x.input, output: x.output });
    });
  });
});
