/**
 * The non-arithmetic task families, each worded in English and in Chinese: unit conversion (times 10/100/1000),
 * sorting a short list of digits, repeating a word n times, and a format rule (put a word in square brackets).
 * Each has one exact answer. Held-out problems are chosen by a hash of the problem, never by the seed.
 */
import type { Rng } from '../rng';
import { between, DIGITS_ZH, pick, UNITS, WORDS_EN, WORDS_ZH } from './vocab';
import { isHeldOut, type Family, type Lang, type SyntheticRecord } from './record';

const TIMES_EN = ['', '', 'two', 'three', 'four'];

function units(rng: Rng, lang: Lang, key: string[]): SyntheticRecord {
  const u = pick(rng, UNITS), n = between(rng, 1, 9), r = n * u.factor;
  key.push(`${u.from}${n}`);
  if (lang === 'en') return rec(`Convert ${n} ${u.from} to ${u.to}.`, `${n} ${u.from} is ${r} ${u.to}.`, String(r), 'number', 'units', lang);
  return rec(`把${n}${u.fromZh}换算成${u.toZh}。`, `${n}${u.fromZh}是${r}${u.toZh}。`, String(r), 'number', 'units', lang);
}

function sorting(rng: Rng, lang: Lang, key: string[]): SyntheticRecord {
  const k = between(rng, 3, 5);
  const xs = Array.from({ length: k }, () => between(rng, 0, 9));
  const sorted = [...xs].sort((a, b) => a - b).join(', ');
  key.push(xs.join(','));
  if (lang === 'en') return rec(`Sort these numbers from smallest to largest: ${xs.join(', ')}.`, sorted, sorted, 'text', 'sorting', lang);
  return rec(`把这些数字从小到大排列：${xs.join(', ')}。`, sorted, sorted, 'text', 'sorting', lang);
}

function repeat(rng: Rng, lang: Lang, key: string[]): SyntheticRecord {
  const n = between(rng, 2, 4);
  const w = lang === 'en' ? pick(rng, WORDS_EN) : pick(rng, WORDS_ZH);
  const out = Array(n).fill(w).join(' ');
  key.push(`${w}${n}`);
  if (lang === 'en') return rec(`Repeat the word "${w}" ${TIMES_EN[n]} times.`, out, out, 'text', 'repeat', lang);
  return rec(`把词语"${w}"重复${DIGITS_ZH[n]}遍。`, out, out, 'text', 'repeat', lang);
}

function brackets(rng: Rng, lang: Lang, key: string[]): SyntheticRecord {
  const w = lang === 'en' ? pick(rng, WORDS_EN) : pick(rng, WORDS_ZH);
  const twice = rng.int(2) === 1;
  const out = twice ? `[${w}] [${w}]` : `[${w}]`;
  key.push(`${w}${twice}`);
  if (lang === 'en') return rec(`Put the word "${w}" in square brackets${twice ? ', twice' : ''}.`, out, out, 'text', 'brackets', lang);
  return rec(`把词语"${w}"放进方括号里${twice ? '，写两次' : ''}。`, out, out, 'text', 'brackets', lang);
}

function rec(instruction: string, output: string, answer: string, match: 'number' | 'text', family: Family, lang: Lang): SyntheticRecord {
  return { instruction, input: '', output, answer, match, family, lang };
}

export const TASKS = { units, sorting, repeat, brackets } as const;
export type TaskFamily = keyof typeof TASKS;

/** One record of `family` from the train or the held-out pool (a test problem is never a training problem). */
export function taskRecord(rng: Rng, family: TaskFamily, lang: Lang, heldOut: boolean): SyntheticRecord {
  for (;;) {
    const key: string[] = [];
    const r = TASKS[family](rng, lang, key);
    if (isHeldOut(`${family}${lang}${key[0]}`) === heldOut) return r;
  }
}
