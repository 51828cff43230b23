// CSV and parquet converters on real records: the test writes the file itself (an RFC 4180 writer and a minimal
// parquet writer below, independent of the converter code), converts it back, and compares every record with the
// source JSON. No CSV or parquet file ships in ../shared/data, so these are the real records in those containers.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert } from '../../src/data/converters';
import { parseCsv } from '../../src/data/converters/csv';
import { HAVE_SHARED, SHARED } from '../helpers/fixtures';

const D = path.join(SHARED, 'data');
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

describe.skipIf(!HAVE_SHARED)('csv and parquet on real records', () => {
  const code = JSON.parse(readFileSync(path.join(D, 'code-alpaca-2k/code_alpaca_2k.json'), 'utf8')) as Record<string, string>[];

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
    const gsm = readFileSync(path.join(D, 'eval/gsm8k-test/test.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>);
    const pq = writeParquet({ question: gsm.map((g) => g.question), answer: gsm.map((g) => g.answer) });
    const r = await convert(pq, 'auto', { label: 'test.parquet' });
    expect(r.shape).toBe('parquet');
    expect(r.rows).toBe(1319);
    const viaJsonl = await convert(readFileSync(path.join(D, 'eval/gsm8k-test/test.jsonl')), 'gsm8k');
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

  it('a corrupt parquet file is one clear error', async () => {
    const pq = writeParquet({ instruction: ['a'], output: ['b'] });
    const broken = pq.slice();
    broken.set([0, 0, 0, 0], broken.length - 8); // footer length 0
    await expect(convert(broken, 'parquet', { label: 'bad.parquet' })).rejects.toThrow(/bad.parquet: not a readable parquet file/);
  });
});
