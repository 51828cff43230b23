/**
 * Which evaluation a file asks for, from its bytes and name: a CMMLU / C-Eval CSV or rows with options (MMCU keys,
 * unified records with options) -> 'multiple-choice'; rows whose references carry a final answer (GSM8K's
 * "#### n", "The answer is ...", a bare number or letter) -> 'exact-match'; any other instruction data the
 * converters read -> 'perplexity'. Returns the reason with the task, so a caller can say why. Not handled: files
 * mixing shapes (the first rows decide).
 */
import { readJsonRows } from '../data/converters/rows';
import { hasFinalAnswer } from './exact-match-eval';
import { isMcCsvHeader, isMcRow } from './mc-items';
import { promptRow } from './prompt-rows';

export type EvalTask = 'multiple-choice' | 'exact-match' | 'perplexity';

export function detectTask(text: string, name: string): { task: EvalTask; reason: string } {
  const first = text.replace(/^\uFEFF/, '').trimStart();
  if (!(first.startsWith('[') || first.startsWith('{'))) {
    const header = first.split('\n', 1)[0];
    if (isMcCsvHeader(header)) return { task: 'multiple-choice', reason: 'a CMMLU / C-Eval table (Question, A, B, ..., Answer)' };
    return { task: 'perplexity', reason: 'not JSON and not a multiple-choice table: scored as instruction data' };
  }
  const rows = readJsonRows(text, name).rows.slice(0, 20).map((r) => r.value);
  if (rows.length && isMcRow(rows[0])) return { task: 'multiple-choice', reason: 'rows with options and an answer letter' };
  let withAnswer = 0;
  for (const [i, v] of rows.entries()) {
    try {
      if (hasFinalAnswer(promptRow(v, i).reference)) withAnswer++;
    } catch {
      // not a prompt row: counts as no final answer
    }
  }
  if (rows.length && withAnswer * 2 > rows.length) return { task: 'exact-match', reason: `${withAnswer} of the first ${rows.length} references carry a final answer` };
  return { task: 'perplexity', reason: 'instruction data without extractable answers' };
}
