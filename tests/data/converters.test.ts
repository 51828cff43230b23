// Every JSON-family converter on the real files in ../shared/data (SOURCES.md): rows in = accepted + rejected, the
// rejections are exactly the rows an independent reading of the file says are bad, and sampled records equal the
// source fields as read here with JSON.parse / split (not through the converter's code).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert, type ConvertResult, type Shape } from '../../src/data/converters';
import { sniffShape } from '../../src/data/converters/sniff';
import type { InstructionRecord, MessagesRecord } from '../../src/data/records';
import { haveShared, sharedPath } from '../helpers/fixtures';

const D = sharedPath('data');
const bytes = (f: string) => readFileSync(path.join(D, f));
const lines = (f: string) => readFileSync(path.join(D, f), 'utf8').split('\n').filter((l) => l.trim() !== '');
const run = (f: string, shape: Shape | 'auto', fields?: Record<string, string>) => convert(bytes(f), shape, { label: f, fields });
const byWhere = (r: ConvertResult, w: string) => r.records[r.where.indexOf(w)];

function accounted(r: ConvertResult, rows: number) {
  expect(r.rows).toBe(rows);
  expect(r.accepted + r.rejected.length).toBe(rows);
}

describe.skipIf(!haveShared('converters on the real files', 'data'))('converters on the real files', () => {
  it('alpaca: AlpaGasus random_9k, the four empty outputs rejected by index', async () => {
    const src = JSON.parse(bytes('alpagasus-filtered/random_9k.json').toString()) as Record<string, string>[];
    const r = await run('alpagasus-filtered/random_9k.json', 'alpaca');
    accounted(r, src.length);
    const bad = src.flatMap((x, i) => (x.output.trim() === '' ? [`index ${i}`] : []));
    expect(r.rejected.map((x) => x.where)).toEqual(bad);
    expect(bad.length).toBe(4);
    for (const i of [0, 1, 777, 5000, src.length - 1]) expect(byWhere(r, `index ${i}`)).toEqual({ instruction: src[i].instruction, input: src[i].input, output: src[i].output });
  });

  it('alpaca: dolly_3k keeps instruction/input/output and drops category', async () => {
    const src = JSON.parse(bytes('alpagasus-filtered/dolly_3k.json').toString()) as Record<string, string>[];
    const r = await run('alpagasus-filtered/dolly_3k.json', 'alpaca');
    accounted(r, 2996);
    expect(r.records.length).toBe(2996);
    expect(r.records[2995]).toEqual({ instruction: src[2995].instruction, input: src[2995].input, output: src[2995].output });
  });

  it('jsonl: a .json file of JSON Lines (BELLE dev1K), and renamed keys (Koala prompts have no output: all rejected)', async () => {
    const src = lines('belle-dev1k/dev1K.json').map((l) => JSON.parse(l));
    const r = await run('belle-dev1k/dev1K.json', 'jsonl');
    accounted(r, 1000);
    expect(r.records[999]).toEqual({ instruction: src[999].instruction, input: src[999].input, output: src[999].output });
    const k = await run('eval/alpagasus-test-sets/koala_test_set.jsonl', 'jsonl', { instruction: 'prompt' });
    accounted(k, 180);
    expect(k.records.length).toBe(0);
    expect(k.rejected[0]).toEqual({ where: 'line 1', reason: expect.stringContaining('missing "output"') });
  });

  it('dolly: context -> input, response -> output', async () => {
    const src = lines('dolly-15k-head/databricks-dolly-15k.head4.jsonl').map((l) => JSON.parse(l));
    const r = await run('dolly-15k-head/databricks-dolly-15k.head4.jsonl', 'dolly');
    accounted(r, 4);
    src.forEach((s, i) => expect(r.records[i]).toEqual({ instruction: s.instruction, input: s.context, output: s.response }));
  });

  it('sharegpt: conversations -> messages; empty turns and assistant-less talks rejected whole', async () => {
    type Turn = { from: string; value: string };
    const src = lines('sharegpt-zh-1k/sharegpt_zh_1K.json').map((l) => JSON.parse(l) as { conversations: Turn[] });
    const r = await run('sharegpt-zh-1k/sharegpt_zh_1K.json', 'sharegpt');
    accounted(r, 1000);
    const bad = src.flatMap((s, i) => (s.conversations.some((t) => t.value.trim() === '') || !s.conversations.some((t) => t.from === 'gpt') ? [`line ${i + 1}`] : []));
    expect(r.rejected.map((x) => x.where)).toEqual(bad);
    for (const i of [0, 500, 999]) {
      if (bad.includes(`line ${i + 1}`)) continue;
      const want = src[i].conversations.map((t) => ({ role: t.from === 'human' ? 'user' : 'assistant', content: t.value }));
      expect((byWhere(r, `line ${i + 1}`) as MessagesRecord).messages).toEqual(want);
    }
  });

  it('flan-cot-tsv: every TSV row rendered with the CoT template; literal \\n unescaped', async () => {
    for (const name of ['aqua', 'creak', 'ecqa', 'gsm8k', 'qasc', 'sensemaking', 'strategyqa']) {
      const f = `flan-v2-cot/${name}_train.tsv`;
      const r = await run(f, 'flan-cot-tsv');
      accounted(r, lines(f).length);
      expect(r.rejected).toEqual([]);
    }
    const [q, a, why] = lines('flan-v2-cot/aqua_train.tsv')[0].split('\t');
    const r = await run('flan-v2-cot/aqua_train.tsv', 'flan-cot-tsv');
    const nl = (s: string) => s.split('\\n').join('\n');
    expect(r.records[0]).toEqual({ instruction: `${nl(q)}\nLet's think step by step.`, input: '', output: `${nl(why)}\nSo the answer is ${a}.` });
  });

  it("alpaca-cot: Alpaca-CoT's formatted files hold the FLAN TSV rows, with real newlines", async () => {
    for (const name of ['aqua', 'ecqa', 'qasc']) {
      const tsv = lines(`flan-v2-cot/${name}_train.tsv`).map((l) => l.split('\t'));
      const raw = JSON.parse(bytes(`alpaca-cot-formatted-cot/${name}_train.json`).toString()) as Record<string, string>[];
      const r = await run(`alpaca-cot-formatted-cot/${name}_train.json`, 'alpaca-cot');
      accounted(r, raw.length);
      expect(r.records.length).toBe(tsv.length);
      r.records.forEach((rec, i) => {
        const x = rec as InstructionRecord;
        // The TSV escape: a backslash-n pair is a newline unless its backslash is itself escaped (8 such in aqua).
        const nl = (t: string) => t.replace(/(?<!\\)\\n/g, '\n');
        expect(`${x.instruction}${x.output}`).not.toMatch(/(?<!\\)\\n/);
        expect(x.instruction).toContain(nl(tsv[i][0]));
        expect(x.output).toContain(nl(tsv[i][2]));
      });
      expect(raw[0].instruction).toContain('\\n'); // the quirk is really in the source
    }
  });

  it('belle: JSON Lines despite .json; transcripts become messages', async () => {
    const src = lines('belle-open-source-1k/Belle_open_source_1k.json').map((l) => JSON.parse(l));
    const r = await run('belle-open-source-1k/Belle_open_source_1k.json', 'belle');
    accounted(r, 1000);
    expect(r.records[123]).toEqual({ instruction: src[123].instruction, input: src[123].input, output: src[123].output });
    const chat = JSON.stringify({ instruction: 'Human: 你好\nAssistant: 你好！\nHuman: 1+1=?\nAssistant:', input: '', output: '2' });
    const c = await convert(new TextEncoder().encode(`${chat}\n`), 'belle');
    expect(c.records[0]).toEqual({ messages: [{ role: 'user', content: '你好' }, { role: 'assistant', content: '你好！' }, { role: 'user', content: '1+1=?' }, { role: 'assistant', content: '2' }] });
  });

  it('gsm8k: annotations stripped as AlpacaDataCleaned did, and the #### answer equals the FLAN TSV answer', async () => {
    const cleaned = JSON.parse(bytes('gsm8k-train-alpaca-format/gsm_8k_train.json').toString()) as Record<string, string>[];
    const tsv = lines('flan-v2-cot/gsm8k_train.tsv').map((l) => l.split('\t'));
    const r = await run('gsm8k-train/train.jsonl', 'gsm8k');
    accounted(r, 7473);
    r.records.forEach((rec, i) => {
      const x = rec as InstructionRecord;
      const [body, final] = x.output.split('\n#### ');
      expect(x.instruction).toBe(cleaned[i].instruction);
      expect(body).toBe(cleaned[i].output);
      expect(final.replace(/,/g, '')).toBe(tsv[i][1]); // FLAN drops thousands separators: 1,080 -> 1080
    });
    const t = await run('eval/gsm8k-test/test.jsonl', 'gsm8k');
    accounted(t, 1319);
  });

  it('self-instruct: one record per instance (seed tasks and the user-oriented test set)', async () => {
    const src = lines('alpaca-seed-tasks/seed_tasks.jsonl').map((l) => JSON.parse(l));
    const r = await run('alpaca-seed-tasks/seed_tasks.jsonl', 'self-instruct');
    accounted(r, 175);
    expect(r.records[42]).toEqual({ instruction: src[42].instruction, input: src[42].instances[0].input, output: src[42].instances[0].output });
    accounted(await run('eval/alpagasus-test-sets/sinstruct_test_set.jsonl', 'self-instruct'), 252);
  });

  it('sniff picks the shape of every real file', () => {
    const want: Record<string, Shape | null> = {
      'alpagasus-filtered/claude_t45.json': 'alpaca',
      'alpaca-cot-formatted-cot/strategyqa_train.json': 'alpaca-cot',
      'flan-v2-cot/qasc_train.tsv': 'flan-cot-tsv',
      'gsm8k-train/train.jsonl': 'gsm8k',
      'belle-dev1k/dev1K.json': 'belle',
      'sharegpt-zh-1k/sharegpt_zh_1K.json': 'sharegpt',
      'dolly-15k-head/databricks-dolly-15k.head4.jsonl': 'dolly',
      'belle-zh-seed-tasks/zh_seed_tasks.json': 'self-instruct',
      'code-alpaca-2k/code_alpaca_2k.json': 'alpaca',
      'auto-cot-demos/multiarith_auto': null,
    };
    for (const [f, shape] of Object.entries(want)) expect([f, sniffShape(bytes(f), f)]).toEqual([f, expect.objectContaining({ shape })]);
  });
});

describe('converters on hand-made input', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  it('exam-cn: 题目 + 选项 -> instruction, 答案 (+ 解析) -> output; missing 答案 rejected', async () => {
    const rows = [
      { 类别: '数学', 题目: '1+1=?', 选项: ['1', '2', '3', '4'], 答案: 'B' },
      { 类别: '语文', 题目: '下列哪个是动词？', 选项: { A: '跑', B: '山' }, 答案: 'A', 解析: '跑表示动作。' },
      { 类别: '物理', 题目: '光速约为多少？', 选项: 'A. 3e8 m/s\nB. 340 m/s' },
    ];
    const r = await convert(enc(rows.map((x) => JSON.stringify(x)).join('\n')), 'auto');
    expect(r.shape).toBe('exam-cn');
    expect(r.records).toEqual([
      { instruction: '1+1=?\nA. 1\nB. 2\nC. 3\nD. 4', input: '', output: 'B' },
      { instruction: '下列哪个是动词？\nA. 跑\nB. 山', input: '', output: 'A\n解析：跑表示动作。' },
    ]);
    expect(r.rejected).toEqual([{ where: 'line 3', reason: 'missing "答案" (keys: 类别, 题目, 选项)' }]);
  });

  it('a bad JSON line is rejected with its line; the rest converts', async () => {
    const r = await convert(enc('{"instruction":"a","output":"b"}\n{"instruction": oops}\n{"instruction":"c","input":"","output":"d"}\n'), 'jsonl');
    expect(r.records.length).toBe(2);
    expect(r.rejected).toEqual([{ where: 'line 2', reason: expect.stringContaining('not valid JSON') }]);
    expect(r.rows).toBe(3);
  });

  it('a FLAN TSV row with two columns is rejected by line', async () => {
    const r = await convert(enc('q1\ta1\tr1\nq2\ta2\nq3\ta3\tr3\n'), 'flan-cot-tsv');
    expect(r.records.length).toBe(2);
    expect(r.rejected).toEqual([{ where: 'line 2', reason: 'expected 3 tab-separated columns (question, answer, rationale), got 2' }]);
  });

  it('unknown format and unsniffable input are clear errors', async () => {
    await expect(convert(enc('x'), 'yaml' as Shape)).rejects.toThrow(/unknown format 'yaml'/);
    await expect(convert(enc('hello world'), 'auto', { label: 'notes.txt' })).rejects.toThrow(/cannot tell the source shape/);
  });
});
