/**
 * Two-step arithmetic word problems ("Tom has 5 apples. Then he gets 3 more, and after that gives away 2. How many
 * ...?") in English and Chinese, each answered two ways: direct ("The answer is 6.") or with a step-by-step rationale
 * of one-operation equations ("5 + 3 = 8. 8 - 2 = 6. The answer is 6."), after GSM8K's answer style. Every single step
 * is a small fact (x +/- y, x <= 18, y <= 9) that the pretraining corpus states; the two-step total is never stated.
 */
import type { Rng } from '../rng';
import { between, NAMES_EN, NAMES_ZH, OBJECTS_EN, OBJECTS_ZH, pick } from './vocab';
import { isHeldOut, type Lang, type SyntheticRecord } from './record';

export type Style = 'direct' | 'cot';

export interface Problem {
  a: number;
  ops: ['+' | '-', '+' | '-'];
  b: number;
  c: number;
}

export const apply = (x: number, op: '+' | '-', y: number) => (op === '+' ? x + y : x - y);
export const problemKey = (p: Problem) => `${p.a}${p.ops[0]}${p.b}${p.ops[1]}${p.c}`;

/** A problem whose intermediate and final values stay >= 0, from the train or the held-out pool. */
export function drawProblem(rng: Rng, heldOut: boolean): Problem {
  for (;;) {
    const p: Problem = { a: between(rng, 2, 9), ops: [rng.int(2) ? '+' : '-', rng.int(2) ? '+' : '-'], b: between(rng, 2, 9), c: between(rng, 2, 9) };
    const s = apply(p.a, p.ops[0], p.b);
    if (s < 0 || apply(s, p.ops[1], p.c) < 0) continue;
    if (isHeldOut(problemKey(p)) === heldOut) return p;
  }
}

const GAIN_EN = ['gets {n} more', 'buys {n} more', 'finds {n} more'];
const LOSS_EN = ['gives away {n}', 'loses {n}', 'sells {n}'];
const GAIN_ZH = ['又买了{n}{m}', '又得到了{n}{m}', '又找到了{n}{m}'];
const LOSS_ZH = ['送出了{n}{m}', '丢了{n}{m}', '卖掉了{n}{m}'];

function rationale(p: Problem, sep: string): string {
  const s = apply(p.a, p.ops[0], p.b), r = apply(s, p.ops[1], p.c);
  return `${p.a} ${p.ops[0]} ${p.b} = ${s}${sep}${s} ${p.ops[1]} ${p.c} = ${r}${sep}`;
}

export function answerLine(lang: Lang, r: number): string {
  return lang === 'en' ? `The answer is ${r}.` : `答案是 ${r}。`;
}

export function arithmeticRecord(rng: Rng, p: Problem, lang: Lang, style: Style): SyntheticRecord {
  const r = apply(apply(p.a, p.ops[0], p.b), p.ops[1], p.c);
  let instruction: string, steps: string;
  if (lang === 'en') {
    const name = pick(rng, NAMES_EN), [, objs] = pick(rng, OBJECTS_EN);
    const verb = (op: string, n: number) => pick(rng, op === '+' ? GAIN_EN : LOSS_EN).replace('{n}', String(n));
    instruction = `${name} has ${p.a} ${objs}. Then ${name} ${verb(p.ops[0], p.b)}, and after that ${verb(p.ops[1], p.c)}. How many ${objs} does ${name} have now?`;
    steps = rationale(p, '. ');
  } else {
    const name = pick(rng, NAMES_ZH), [obj, m] = pick(rng, OBJECTS_ZH);
    const verb = (op: string, n: number) => pick(rng, op === '+' ? GAIN_ZH : LOSS_ZH).replace('{n}', String(n)).replace('{m}', m);
    instruction = `${name}有${p.a}${m}${obj}。后来${name}${verb(p.ops[0], p.b)}，然后${verb(p.ops[1], p.c)}。${name}现在有几${m}${obj}？`;
    steps = rationale(p, '。');
  }
  const output = style === 'cot' ? `${steps}${answerLine(lang, r)}` : answerLine(lang, r);
  return { instruction, input: '', output, answer: String(r), match: 'number', family: 'arithmetic', lang };
}
