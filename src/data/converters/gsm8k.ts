/**
 * GSM8K (openai/grade-school-math) `{question, answer}`: the answer is step-by-step reasoning with calculator
 * annotations `<<48/2=24>>`, then a last line `#### 72`. We strip the annotations (as AlpacaDataCleaned's
 * gsm_8k_train.json did) and keep the `#### <answer>` line, which eval's exact match extracts. A record without a
 * `####` line is rejected. Not handled: the Socratic variant's sub-question lines (kept as text).
 */
import { field, jsonRowsConverter } from './rows';
import { RowError, type Converter } from './types';

/** Splits a GSM8K answer into reasoning (annotations removed) and the final answer after `####`. */
export function splitGsm8kAnswer(answer: string): { reasoning: string; final: string } | null {
  const at = answer.lastIndexOf('####');
  if (at < 0) return null;
  const final = answer.slice(at + 4).trim();
  if (!final) return null;
  const reasoning = answer.slice(0, at).replace(/<<[^>]*>>/g, '').replace(/\s+$/, '');
  return { reasoning, final };
}

export const gsm8kConverter: Converter = {
  shape: 'gsm8k',
  describe: "GSM8K: {question, answer} with a final '#### <number>' line",
  convert: jsonRowsConverter('gsm8k', (o) => {
    const question = field(o, 'question');
    const parts = splitGsm8kAnswer(field(o, 'answer'));
    if (!parts) throw new RowError('"answer" has no "#### <answer>" line');
    return { instruction: question, input: '', output: parts.reasoning ? `${parts.reasoning}\n#### ${parts.final}` : `#### ${parts.final}` };
  }),
};
