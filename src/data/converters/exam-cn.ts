/**
 * Chinese exam sets keyed in Chinese (GAOKAO / COIG-exam / MMCU style): `{类别, 题目, 选项, 答案, 解析?}` ->
 * instruction = the question (题目) followed by the options (选项) one per line as "A. ...", output = the answer
 * (答案), followed by the explanation (解析) when present. 选项 may be a string, a list (lettered A, B, ... in order)
 * or an object {A: ..., B: ...}; 类别 (category) is not part of the record. Missing 题目 or 答案 rejects the row.
 */
import { field, jsonRowsConverter } from './rows';
import { RowError, type Converter } from './types';

export const EXAM_KEYS = { category: '类别', question: '题目', options: '选项', answer: '答案', explanation: '解析' } as const;

export function formatOptions(v: unknown): string {
  if (v === undefined || v === null || v === '') return '';
  if (typeof v === 'string') return v.trim();
  if (Array.isArray(v)) {
    return v
      .map((o, i) => {
        if (typeof o !== 'string') throw new RowError(`"${EXAM_KEYS.options}"[${i}] is not a string`);
        return /^[A-Z][.．、:：]/.test(o.trim()) ? o.trim() : `${String.fromCharCode(65 + i)}. ${o.trim()}`;
      })
      .join('\n');
  }
  if (typeof v === 'object') {
    return Object.entries(v as Record<string, unknown>)
      .map(([k, o]) => {
        if (typeof o !== 'string') throw new RowError(`"${EXAM_KEYS.options}".${k} is not a string`);
        return `${k}. ${o.trim()}`;
      })
      .join('\n');
  }
  throw new RowError(`"${EXAM_KEYS.options}" is a ${typeof v}, expected a string, list or object`);
}

export const examCnConverter: Converter = {
  shape: 'exam-cn',
  describe: 'Chinese exam sets: {类别, 题目, 选项, 答案, 解析?}',
  convert: jsonRowsConverter('exam-cn', (o) => {
    const question = field(o, EXAM_KEYS.question);
    const options = formatOptions(o[EXAM_KEYS.options]);
    const answer = Array.isArray(o[EXAM_KEYS.answer]) ? (o[EXAM_KEYS.answer] as unknown[]).join('') : field(o, EXAM_KEYS.answer);
    if (answer.trim() === '') throw new RowError(`"${EXAM_KEYS.answer}" is empty`);
    const explanation = field(o, EXAM_KEYS.explanation, { optional: true });
    return {
      instruction: options ? `${question.trim()}\n${options}` : question.trim(),
      input: '',
      output: explanation.trim() ? `${answer.trim()}\n${EXAM_KEYS.explanation}：${explanation.trim()}` : answer.trim(),
    };
  }),
};
