/**
 * Exact-match scoring of a generated response, GSM8K-style: a 'number' answer is read from the fixed answer line
 * ("The answer is 42." / "答案是 42。", the last one if several) or else the last number in the text (commas in
 * numbers dropped, as GSM8K's "#### 1,234" convention allows); a 'text' answer is the first non-empty line,
 * trimmed, without a final period. Not handled: fractions, units in the answer, semantic equivalence.
 */

const ANSWER_LINE = /(?:The answer is|答案是)\s*(-?[\d,]*\.?\d+)/gi;
const NUMBER = /-?\d[\d,]*(?:\.\d+)?/g;

/** Normalises a number string: no thousands commas, no trailing ".0"/"." (so "1,200" = "1200" and "7.0" = "7"). */
export function normalizeNumber(s: string): string {
  const t = s.replace(/,/g, '');
  const n = Number(t);
  return Number.isFinite(n) ? String(n) : t;
}

/** The answer a response gives: the answer line's number, else the last number, else null. */
export function extractNumber(text: string): string | null {
  const lines = [...text.matchAll(ANSWER_LINE)];
  if (lines.length) return normalizeNumber(lines[lines.length - 1][1]);
  const nums = text.match(NUMBER);
  return nums ? normalizeNumber(nums[nums.length - 1]) : null;
}

/** The first non-empty line, trimmed, with one final '.' or '。' removed. */
export function extractText(text: string): string {
  const line = text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
  return line.replace(/[.。]$/, '').trim();
}

export function exactMatch(response: string, answer: string, match: 'number' | 'text'): boolean {
  if (match === 'number') return extractNumber(response) === normalizeNumber(answer);
  return extractText(response) === extractText(answer);
}
