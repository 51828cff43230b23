/**
 * Exact-match scoring of a generated response, with answer extraction for CoT sets. A 'number' answer is read, in
 * this order, from GSM8K's final line ("#### 72", the last one), the fixed answer line ("The answer is 42." /
 * "The answer is $1,234" / "答案是 42。", the last one), or else the last number in the text (thousands commas
 * dropped, "7.0" = "7"). A 'choice' answer is a letter A-E from "The answer is (B)" / "答案是 C" / "Answer: D",
 * else a response that starts with the letter ("B", "(B)", "B. ..."). A 'text' answer is the first non-empty
 * line, trimmed, without a final period. Not handled: fractions, units in the answer, semantic equivalence.
 */

const GSM8K_LINE = /####\s*\$?\s*(-?[\d,]*\.?\d+)/g;
const ANSWER_LINE = /(?:the answer is|答案是)\s*[:：]?\s*\$?\s*(-?[\d,]*\.?\d+)/gi;
const NUMBER = /-?\d[\d,]*(?:\.\d+)?/g;
// Case-sensitive on the letter: "the answer is a dog" names no option.
const CHOICE_LINE = /(?:[Tt]he (?:correct )?answer is|[Aa]nswer\s*[:：]|ANSWER\s*[:：]|答案(?:是|为|[:：]))\s*[:：]?\s*(?:[Oo]ption\s*)?[(（]?\s*([A-E])(?![A-Za-z])/g;
const LEADING_CHOICE = /^\s*[(（]?([A-E])(?:[)）.．、:：]|\s|$)/;

export type AnswerKind = 'number' | 'choice' | 'text';

/** How an answer was found, for the per-item record. */
export type ExtractedBy = 'gsm8k-line' | 'answer-line' | 'last-number' | 'leading-letter' | 'first-line' | 'none';

/** Normalises a number string: no thousands commas, no trailing ".0"/"." (so "1,200" = "1200" and "7.0" = "7"). */
export function normalizeNumber(s: string): string {
  const t = s.replace(/,/g, '');
  const n = Number(t);
  return Number.isFinite(n) ? String(n) : t;
}

const lastMatch = (re: RegExp, text: string): RegExpMatchArray | undefined => {
  const all = [...text.matchAll(re)];
  return all[all.length - 1];
};

/** The answer of `kind` a response gives, and which rule found it; value null when none did. */
export function extractAnswer(text: string, kind: AnswerKind): { value: string | null; by: ExtractedBy } {
  if (kind === 'number') {
    const g = lastMatch(GSM8K_LINE, text);
    if (g) return { value: normalizeNumber(g[1]), by: 'gsm8k-line' };
    const a = lastMatch(ANSWER_LINE, text);
    if (a) return { value: normalizeNumber(a[1]), by: 'answer-line' };
    const nums = text.match(NUMBER);
    return nums ? { value: normalizeNumber(nums[nums.length - 1]), by: 'last-number' } : { value: null, by: 'none' };
  }
  if (kind === 'choice') {
    const a = lastMatch(CHOICE_LINE, text);
    if (a) return { value: a[1], by: 'answer-line' };
    const l = LEADING_CHOICE.exec(text);
    return l ? { value: l[1], by: 'leading-letter' } : { value: null, by: 'none' };
  }
  const line = extractText(text);
  return { value: line, by: 'first-line' };
}

/** The number a response gives: the #### line, the answer line, else the last number; null without any. */
export function extractNumber(text: string): string | null {
  return extractAnswer(text, 'number').value;
}

/** The first non-empty line, trimmed, with one final '.' or '。' removed. */
export function extractText(text: string): string {
  const line = text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
  return line.replace(/[.。]$/, '').trim();
}

/** The reference answer of `kind`: numbers and letters are extracted from the reference as from a response. */
export function referenceAnswer(answer: string, kind: AnswerKind): string {
  if (kind === 'text') return extractText(answer);
  return extractAnswer(answer, kind).value ?? answer.trim();
}

export function exactMatch(response: string, answer: string, match: AnswerKind): boolean {
  if (match === 'text') return extractText(response) === extractText(answer);
  const got = extractAnswer(response, match).value;
  return got !== null && got === referenceAnswer(answer, match);
}
