/**
 * Multiple choice by log-likelihood (src/eval/mc-items.ts, multiple-choice.ts, model-scoring.ts). Input shapes:
 * CMMLU / C-Eval CSV, MMCU JSON and the unified record with options. Scoring is checked against a fake model whose
 * logits are set by hand (one-character tokens, so the letter ids and the log-softmax can be derived on paper); the
 * real model's side is tests/eval/model-scoring.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { isMcRow, mcItemFromRow, parseMcCsv, parseMcRows, type McItem } from '../../src/eval/mc-items';
import { EVAL_TEMPLATES, evaluateMultipleChoice, mcMessages, plainPrompt, type McTokenizer } from '../../src/eval/multiple-choice';

const CMMLU = ',Question,A,B,C,D,Answer\n0,女性生殖腺是,卵巢,前庭大腺,前庭球,乳腺,A\n1,"下列说法, 正确的是",甲,乙,丙,丁,C\n2,多选题,甲,乙,丙,丁,AB\n';

describe('multiple-choice input shapes', () => {
  it('reads CMMLU CSV (subject from the file name; quoted commas; multi-select rows skipped)', () => {
    const { items, skipped } = parseMcCsv(CMMLU, 'cmmlu/test/anatomy.csv');
    expect(items).toEqual([
      { id: 'anatomy/0', subject: 'anatomy', question: '女性生殖腺是', options: ['卵巢', '前庭大腺', '前庭球', '乳腺'], answer: 'A' },
      { id: 'anatomy/1', subject: 'anatomy', question: '下列说法, 正确的是', options: ['甲', '乙', '丙', '丁'], answer: 'C' },
    ]);
    expect(skipped).toEqual([{ where: 'cmmlu/test/anatomy.csv: line 4', reason: 'several answers (AB)' }]);
  });

  it("reads C-Eval's header and refuses a bad answer with its line", () => {
    const { items } = parseMcCsv('id,question,A,B,C,D,answer,explanation\n7,1+1=?,1,2,3,4,B,因为\n', 'computer_network_val.csv');
    expect(items[0]).toMatchObject({ id: 'computer_network/7', subject: 'computer_network', answer: 'B', options: ['1', '2', '3', '4'] });
    expect(() => parseMcCsv(',Question,A,B,C,D,Answer\n0,q,a,b,c,d,Z\n', 'x.csv')).toThrow("x.csv: line 2: Answer 'Z' is not one of A, B, C, D");
  });

  it('reads MMCU rows and unified records with options', () => {
    const mmcu = { 类别: '医学', 题目: '人体最大的器官是', 选项: ['A. 心脏', 'B. 皮肤', 'C. 肝脏', 'D. 肺'], 答案: ['B'] };
    expect(isMcRow(mmcu)).toBe(true);
    expect(mcItemFromRow(mmcu, 3, 'r', 'f')).toEqual({ id: '医学/3', subject: '医学', question: '人体最大的器官是', options: ['心脏', '皮肤', '肝脏', '肺'], answer: 'B' });
    const unified = { instruction: 'Which is a prime?', input: '', output: 'C', options: { A: '4', B: '6', C: '7', D: '9' }, subject: 'math' };
    expect(isMcRow(unified)).toBe(true);
    expect(mcItemFromRow(unified, 0, 'r', 'f')).toMatchObject({ subject: 'math', options: ['4', '6', '7', '9'], answer: 'C' });
    expect(isMcRow({ instruction: 'x', input: '', output: 'y' })).toBe(false);
    const { items, skipped } = parseMcRows([{ value: mmcu, where: 'index 0' }, { value: { ...mmcu, 答案: ['A', 'C'] }, where: 'index 1' }], 'mmcu.json');
    expect(items).toHaveLength(1);
    expect(skipped).toHaveLength(1);
  });
});

describe('prompt', () => {
  it("builds LLaMA-Factory's zh layout with k shots", () => {
    const [a, b] = parseMcCsv(CMMLU, 'anatomy.csv').items;
    const text = plainPrompt(mcMessages(b, [a]));
    expect(text).toBe('以下是中国关于anatomy考试的单项选择题，请选出其中的正确答案。\n\n女性生殖腺是\nA. 卵巢\nB. 前庭大腺\nC. 前庭球\nD. 乳腺\n答案：A\n\n下列说法, 正确的是\nA. 甲\nB. 乙\nC. 丙\nD. 丁\n答案：');
    expect(EVAL_TEMPLATES.en.answer).toBe('\nAnswer:');
  });
});

/** One token per UTF-16 unit: 'A' is id 65. V = 128 covers the ASCII prompts used with it. */
const charTok: McTokenizer = { encode: (t) => [...t].map((c) => c.charCodeAt(0) % 128) };
const V = 128;

const items: McItem[] = [
  { id: 's/1', subject: 'geo', question: 'Largest ocean?', options: ['Atlantic', 'Pacific Ocean', 'Indian', 'Arctic'], answer: 'B' },
  { id: 's/2', subject: 'geo', question: 'Hottest?', options: ['Sahara desert', 'Ice', 'Snow', 'Fog'], answer: 'A' },
  { id: 's/3', subject: 'math', question: '2+2?', options: ['three', 'four', 'five', 'twenty-two'], answer: 'B' },
];

describe('scoring on a fake model with hand-set logits', () => {
  it('constant logits: log p(letter) = z - log(sum exp z) and the prediction is always the top letter', async () => {
    // z[A]=2, z[B]=1, z[C]=0, z[D]=-1, every other of the 128 ids 0: lse = log(124 + e^2 + e + 1 + e^-1).
    const z = new Float32Array(V);
    z[65] = 2; z[66] = 1; z[67] = 0; z[68] = -1;
    const lse = Math.log(124 + Math.exp(2) + Math.exp(1) + 1 + Math.exp(-1));
    const r = await evaluateMultipleChoice({ items, tokenizer: charTok, logits: async () => z });
    expect(r.predictions.map((p) => p.prediction)).toEqual(['A', 'A', 'A']);
    expect(r.predictions[0].logprobs.A).toBeCloseTo(2 - lse, 6);
    expect(r.predictions[0].logprobs.D).toBeCloseTo(-1 - lse, 6);
    // Only item 2's answer is A.
    expect(r).toMatchObject({ n: 3, correct: 1 });
    expect(r.accuracy).toBeCloseTo(1 / 3, 12);
    expect(r.bySubject).toEqual({ geo: { n: 2, correct: 1, accuracy: 0.5 }, math: { n: 1, correct: 0, accuracy: 0 } });
  });

  it('a model that reads the prompt: +5 on the letter of the longest option of the last question', async () => {
    // Longest options: item 1 "Pacific Ocean" (B, right), item 2 "Sahara desert" (A, right), item 3 "twenty-two" (D,
    // wrong; the answer is B). So 2 of 3: geo 2/2, math 0/1.
    const seen: string[] = [];
    const logits = async (ids: number[]) => {
      const text = String.fromCharCode(...ids);
      seen.push(text);
      const last = text.slice(text.lastIndexOf('\n\n') + 2);
      const opts = [...last.matchAll(/\n([A-D])\. ([^\n]*)/g)];
      const best = opts.reduce((a, b) => (b[2].length > a[2].length ? b : a));
      const z = new Float32Array(V);
      z[best[1].charCodeAt(0)] = 5;
      return z;
    };
    const dev: McItem[] = [{ id: 'd/1', subject: 'geo', question: 'Capital of France?', options: ['Paris', 'Rome', 'Oslo', 'Bern'], answer: 'A' }];
    const r = await evaluateMultipleChoice({ items, dev, shots: 1, tokenizer: charTok, logits });
    expect(r.predictions.map((p) => p.prediction)).toEqual(['B', 'A', 'D']);
    expect(r.bySubject).toEqual({ geo: { n: 2, correct: 2, accuracy: 1 }, math: { n: 1, correct: 0, accuracy: 0 } });
    // The geo items get the geo dev example; math has none of its own and borrows it (a single dev file).
    expect(seen[0].startsWith('The following are multiple choice questions (with answers) about geo.\n\nCapital of France?\nA. Paris')).toBe(true);
    expect(seen[0]).toContain('\nAnswer:A\n\nLargest ocean?');
    expect(r.predictions.every((p) => p.shots === 1)).toBe(true);
    // A prompt cap drops the shot first.
    const capped = await evaluateMultipleChoice({ items: items.slice(0, 1), dev, shots: 1, tokenizer: charTok, logits, maxPromptTokens: 120 });
    expect(capped.predictions[0].shots).toBe(0);
    await expect(evaluateMultipleChoice({ items, shots: 2, tokenizer: charTok, logits })).rejects.toThrow('needs dev items');
  });
});
