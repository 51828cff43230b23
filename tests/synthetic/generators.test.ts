/**
 * The synthetic generators: same seed -> same data, the committed public/data/synthetic files are exactly what the
 * generators make, every answer agrees with an independent solver written here from the instruction text alone
 * (regexes + a unit table + sort), CoT rationales are arithmetically consistent, and no test problem is in training.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSynthetic, DEFAULT_SIZES } from '../../src/data/synthetic/datasets';
import { SYNTHETIC_SEED, syntheticIndex } from '../../src/data/synthetic/index-file';
import type { SyntheticRecord } from '../../src/data/synthetic/record';

const SMALL = { ...DEFAULT_SIZES, corpusDocs: 200 };
const PUBLIC = path.join(import.meta.dirname, '..', '..', 'public', 'data', 'synthetic');
const data = buildSynthetic(SYNTHETIC_SEED);

const EN_GAIN = /(gets|buys|finds) (\d+) more/, EN_LOSS = /(gives away|loses|sells) (\d+)/;
const ZH_GAIN = /(又买了|又得到了|又找到了)(\d+)/, ZH_LOSS = /(送出了|丢了|卖掉了)(\d+)/;
const FACTOR: Record<string, number> = { 'meters>centimeters': 100, 'centimeters>millimeters': 10, 'kilometers>meters': 1000, 'kilograms>grams': 1000, 'liters>milliliters': 1000, '米>厘米': 100, '厘米>毫米': 10, '千米>米': 1000, '千克>克': 1000, '升>毫升': 1000 };
const TIMES: Record<string, number> = { two: 2, three: 3, four: 4, 两: 2, 三: 3, 四: 4 };

/** Solves a record from its instruction only. */
function solve(r: SyntheticRecord): string {
  const q = r.instruction;
  if (r.family === 'arithmetic') {
    const start = Number((r.lang === 'en' ? /has (\d+)/ : /有(\d+)/).exec(q)![1]);
    // The two events in text order: each clause is a gain or a loss.
    const clauses = (r.lang === 'en' ? q.split('. ') : q.split('。')).slice(1, 3);
    let x = start;
    for (const c of clauses) {
      const g = (r.lang === 'en' ? EN_GAIN : ZH_GAIN).exec(c), l = (r.lang === 'en' ? EN_LOSS : ZH_LOSS).exec(c);
      expect(Boolean(g) !== Boolean(l), `one event per clause: ${c}`).toBe(true);
      x = g ? x + Number(g[2]) : x - Number(l![2]);
    }
    return String(x);
  }
  if (r.family === 'units') {
    const m = r.lang === 'en' ? /Convert (\d+) (\w+) to (\w+)\./.exec(q)! : /把(\d+)(\S+?)换算成(\S+?)。/.exec(q)!;
    return String(Number(m[1]) * FACTOR[`${m[2]}>${m[3]}`]);
  }
  if (r.family === 'sorting') return /[:：] ?([\d, ]+)[.。]$/.exec(q)![1].split(', ').map(Number).sort((a, b) => a - b).join(', ');
  const word = /"([^"]+)"/.exec(q)![1];
  if (r.family === 'repeat') return Array(TIMES[(r.lang === 'en' ? / (\w+) times/ : /重复(.)遍/).exec(q)![1]]).fill(word).join(' ');
  return /twice|两次/.test(q) ? `[${word}] [${word}]` : `[${word}]`;
}

describe('synthetic datasets', () => {
  it('are deterministic in the seed', () => {
    expect(JSON.stringify(buildSynthetic(5, SMALL))).toBe(JSON.stringify(buildSynthetic(5, SMALL)));
    expect(JSON.stringify(buildSynthetic(6, SMALL).sets['arith-en-cot'])).not.toBe(JSON.stringify(buildSynthetic(5, SMALL).sets['arith-en-cot']));
  });

  it('the committed files are what the generators make (regenerate: scripts/make-synthetic.ts)', () => {
    const index = JSON.parse(readFileSync(path.join(PUBLIC, 'index.json'), 'utf8'));
    expect(index).toEqual(syntheticIndex(data));
    for (const [name, rows] of Object.entries(data.sets)) {
      const lines = readFileSync(path.join(PUBLIC, `${name}.jsonl`), 'utf8').trim().split('\n');
      expect(lines.map((l) => JSON.parse(l)), name).toEqual(rows);
    }
    const corpus = readFileSync(path.join(PUBLIC, 'corpus.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).text);
    expect(corpus).toEqual(data.corpus);
  });

  it('every answer agrees with an independent solver', () => {
    let n = 0;
    for (const rows of Object.values(data.sets))
      for (const r of rows) {
        expect(solve(r), r.instruction).toBe(r.answer);
        n++;
      }
    expect(n).toBeGreaterThan(3000);
  });

  it('CoT rationales are correct equations ending in the fixed answer line; direct outputs are that line alone', () => {
    const cot = [...data.sets['arith-en-cot'], ...data.sets['arith-zh-cot']];
    for (const r of cot) {
      const eqs = [...r.output.matchAll(/(\d+) ([+-]) (\d+) = (\d+)/g)];
      expect(eqs).toHaveLength(2);
      for (const [, a, op, b, c] of eqs) expect(op === '+' ? +a + +b : +a - +b).toBe(+c);
      expect(eqs[1][1]).toBe(eqs[0][4]); // the second step starts from the first step's result
      // Each step opens with the question's own clause, verbatim ("Tom gets 3 more, so 5 + 3 = 8."): copyable text.
      const steps = r.output.split(r.lang === 'en' ? ', so ' : '，所以').slice(0, 2).map((x) => x.split(/[.。] ?/).pop()!);
      for (const clause of steps) expect(r.instruction, clause).toContain(clause);
      expect(r.output.endsWith(r.lang === 'en' ? `The answer is ${r.answer}.` : `答案是 ${r.answer}。`)).toBe(true);
    }
    data.sets['arith-en-direct'].forEach((r, i) => {
      expect(r.output).toBe(`The answer is ${r.answer}.`);
      expect(r.instruction).toBe(data.sets['arith-en-cot'][i].instruction); // the same problems in both styles
    });
  });

  it('arithmetic events use one verb per direction, while the corpus keeps all six (the design the classroom relies on)', () => {
    // With three verbs per direction the tiny model could not copy which one a question used (model card).
    const arith = [...data.sets['arith-en-cot'], ...data.sets['arith-zh-cot'], ...data.sets['test-arith-en'], ...data.sets['test-arith-zh']];
    const verbs = new Set(arith.flatMap((r) => [...r.instruction.matchAll(/(gets|buys|finds|gives away|loses|sells|又买了|又得到了|又找到了|送出了|丢了|卖掉了)/g)].map((m) => m[1])));
    expect([...verbs].sort()).toEqual(['gets', 'gives away', '又得到了', '送出了'].sort());
    const corpusVerbs = new Set(data.corpus.flatMap((d) => [...d.matchAll(/\b(buys|finds|loses|sells)\b/g)].map((m) => m[1])));
    expect(corpusVerbs.size).toBe(4);
  });

  it('the corpus states one-step facts only: every equation is right, and no story chains two changes', () => {
    let eqs = 0;
    for (const doc of data.corpus) {
      for (const [, a, op, b, c] of doc.matchAll(/(\d+) ([+-]) (\d+) = (\d+)/g)) {
        expect(op === '+' ? +a + +b : +a - +b, doc).toBe(+c);
        eqs++;
      }
      // A story is "X has a. X <one change>[, so a op b = c]. Now X has c." : never two changes before "Now".
      for (const story of doc.split(/Now \w+ has \d+ \w+\.|现在\S+?有\d+\S+?。/).slice(0, -1)) {
        const tail = story.slice(Math.max(story.lastIndexOf(' has '), story.lastIndexOf('有')));
        expect((tail.match(/more|gives away|loses|sells|又买了|又得到了|又找到了|送出了|丢了|卖掉了/g) ?? []).length, story).toBeLessThanOrEqual(1);
      }
    }
    expect(eqs).toBeGreaterThan(3000);
  });

  it('no held-out problem appears in any training set', () => {
    const train = new Set(Object.entries(data.sets).filter(([n]) => !n.includes('test')).flatMap(([, rs]) => rs.map((r) => r.instruction)));
    // Arithmetic: compare the numbers and operations, not the wording (names and verbs vary).
    const key = (r: SyntheticRecord) => `${r.lang}:${r.output.replace(/[^\d+=-]/g, ' ')}`;
    const trainArith = new Set(Object.entries(data.sets).filter(([n]) => n.endsWith('-cot') || n === 'demo-train').flatMap(([, rs]) => rs.filter((r) => r.family === 'arithmetic').map(key)));
    for (const name of ['test-arith-en', 'test-arith-zh', 'test-tasks-en', 'test-tasks-zh', 'demo-test']) {
      for (const r of data.sets[name]) {
        expect(train.has(r.instruction), r.instruction).toBe(false);
        if (r.family === 'arithmetic') expect(trainArith.has(key(r)), r.instruction).toBe(false);
      }
    }
  });

  it('the committed data stays under 5 MB', () => {
    const bytes = [...Object.keys(data.sets), 'corpus'].reduce((a, n) => a + readFileSync(path.join(PUBLIC, `${n}.jsonl`)).byteLength, 0);
    expect(bytes).toBeLessThan(5 * 2 ** 20);
  });
});
