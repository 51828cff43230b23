/**
 * Exact-match evaluation of generated answers: prompt rows with a reference (GSM8K {question, answer}, unified
 * records whose output ends in an answer line) go through batch prediction (predict.ts), then the answer is
 * extracted from the output and compared with the reference's (exact-match.ts). The kind per item is 'number'
 * when the reference has a GSM8K line, an answer line or is a number; 'choice' for a single letter A-E; else 'text'.
 * Accuracy overall and per test set / subject. Not handled: several references per item.
 */
import type { GenerationOptions } from '../generate/options';
import type { Model } from '../model/types';
import type { Adapter } from '../peft';
import type { TextTokenizer } from '../tokenizer/tokenizer';
import { extractAnswer, referenceAnswer, type AnswerKind, type ExtractedBy } from './exact-match';
import { predict, type PromptFormat } from './predict';
import type { PromptRow } from './prompt-rows';
import type { SubjectScore } from './multiple-choice';

export interface ExactMatchLine {
  id: string;
  subject: string;
  prompt: string;
  output: string;
  kind: AnswerKind;
  answer: string;
  extracted: string | null;
  by: ExtractedBy;
  correct: boolean;
}

export interface ExactMatchResult {
  n: number;
  correct: number;
  accuracy: number;
  bySubject: Record<string, SubjectScore>;
  items: ExactMatchLine[];
}

const ANSWER_MARK = /####|the answer is|答案是/i;

/** The kind of answer a reference asks for. */
export function answerKind(reference: string): AnswerKind {
  const t = reference.trim();
  if (/^[(（]?[A-E][)）]?$/.test(t)) return 'choice';
  if (ANSWER_MARK.test(t) || /^-?[\d,]*\.?\d+$/.test(t)) return 'number';
  return 'text';
}

/** True when a reference carries an extractable final answer (what makes a file an exact-match set). */
export function hasFinalAnswer(reference: string | undefined): boolean {
  return reference !== undefined && (ANSWER_MARK.test(reference) || answerKind(reference) !== 'text');
}

export async function evaluateExactMatch(o: {
  model: Model;
  tokenizer: TextTokenizer;
  adapter?: Adapter | null;
  rows: PromptRow[];
  generation?: Partial<GenerationOptions>;
  promptFormat?: PromptFormat;
  batchSize?: number;
  onProgress?: (p: { done: number; total: number }) => void;
  signal?: AbortSignal;
}): Promise<ExactMatchResult> {
  const missing = o.rows.find((r) => r.reference === undefined);
  if (missing) throw new Error(`row '${missing.id}' has no reference answer to match`);
  const items: ExactMatchLine[] = [];
  const byId = new Map(o.rows.map((r) => [r.id, r]));
  await predict({
    model: o.model, tokenizer: o.tokenizer, adapter: o.adapter, rows: o.rows, generation: { maxNewTokens: 256, ...o.generation },
    promptFormat: o.promptFormat ?? 'alpaca', batchSize: o.batchSize, signal: o.signal, onProgress: o.onProgress,
    onResults: (lines) => {
      for (const l of lines) {
        const row = byId.get(l.id)!;
        const kind = answerKind(row.reference!);
        const answer = referenceAnswer(row.reference!, kind);
        const ex = extractAnswer(l.output, kind);
        const correct = kind === 'text' ? ex.value === answer : ex.value !== null && ex.value === answer;
        items.push({ id: l.id, subject: row.set || '', prompt: l.prompt, output: l.output, kind, answer, extracted: ex.value, by: ex.by, correct });
      }
    },
  });
  const bySubject: Record<string, SubjectScore> = {};
  for (const it of items) {
    if (!it.subject) continue;
    const s = (bySubject[it.subject] ??= { n: 0, correct: 0, accuracy: 0 });
    s.n++;
    if (it.correct) s.correct++;
  }
  for (const s of Object.values(bySubject)) s.accuracy = s.correct / s.n;
  const correct = items.filter((i) => i.correct).length;
  return { n: items.length, correct, accuracy: items.length ? correct / items.length : 0, bySubject, items };
}
