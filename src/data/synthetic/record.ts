/**
 * The synthetic record: a unified instruction record (records.ts) plus what evaluation needs: the exact-match
 * answer, how to compare it ('number': the answer line or last number; 'text': the first response line), the task
 * family and language. Extra keys are ignored by parseRecords, so these files train as they are.
 */
export type Family = 'arithmetic' | 'units' | 'sorting' | 'repeat' | 'brackets';
export type Lang = 'en' | 'zh';

export interface SyntheticRecord {
  instruction: string;
  input: string;
  output: string;
  answer: string;
  match: 'number' | 'text';
  family: Family;
  lang: Lang;
}

/** FNV-1a over a string: a seed-independent hash that puts each problem in train or test once and for all. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** 1 in 5 problem keys are reserved for the test splits: a test problem never appears in training. */
export function isHeldOut(key: string): boolean {
  return fnv1a(key) % 5 === 0;
}
