/**
 * Two-step arithmetic word problems ("Tom has 5 apples. First, Tom gets 3 more. Then Tom gives away 2. How many apples does
 * Tom have now?") in English and Chinese, each answered two ways: direct ("The answer is 6.") or with a step-by-step
 * rationale ("First, Tom gets 3 more, so 5 + 3 = 8. Then Tom gives away 2, so 8 - 2 = 6. The answer is 6."). Each step has the
 * corpus's one-step story form (corpus.ts: "Tom gets 3 more, so 5 + 3 = 8."), so every step is local experience of
 * the base model; only the chaining is new, and the two-step total is never stated in the corpus. That locality is
 * why step-by-step answers help (Prystawski et al. 2023, "Why think step by step?").
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

/**
 * One verb per direction. With three of each ("buys", "finds", "loses", ...), a step-by-step answer had to copy
 * which verb the question used, and the tiny model could not: it wrote a gain verb for most losses (CoT 27% exact
 * vs 93% with one verb, same model, seed and steps; see the model card). The corpus keeps all six, so the words are known.
 */
const GAIN_EN = ['gets {n} more'];
const LOSS_EN = ['gives away {n}'];
const GAIN_ZH = ['又得到了{n}{m}'];
const LOSS_ZH = ['送出了{n}{m}'];

/**
 * "First, Tom gets 3 more, so 5 + 3 = 8. Then Tom gives away 2, so 8 - 2 = 6. " Each step quotes the question's
 * clause word for word (the corpus's retellings teach that copy), and the rationale opens with a fixed word, so the
 * name is never the response's first token: a name that opens a text splits into rare pieces ("T" "om").
 */
function rationale(p: Problem, clauses: [string, string], w: { first: string; then: string; so: string; end: string }): string {
  const s = apply(p.a, p.ops[0], p.b), r = apply(s, p.ops[1], p.c);
  return `${w.first}${clauses[0]}${w.so}${p.a} ${p.ops[0]} ${p.b} = ${s}${w.end}${w.then}${clauses[1]}${w.so}${s} ${p.ops[1]} ${p.c} = ${r}${w.end}`;
}

export function answerLine(lang: Lang, r: number): string {
  return lang === 'en' ? `The answer is ${r}.` : `答案是 ${r}。`;
}

export function arithmeticRecord(rng: Rng, p: Problem, lang: Lang, style: Style): SyntheticRecord {
  const r = apply(apply(p.a, p.ops[0], p.b), p.ops[1], p.c);
  let instruction: string, steps: string;
  if (lang === 'en') {
    const name = pick(rng, NAMES_EN), [, objs] = pick(rng, OBJECTS_EN);
    const verb = (op: string, n: number) => `${name} ${pick(rng, op === '+' ? GAIN_EN : LOSS_EN).replace('{n}', String(n))}`;
    const clauses: [string, string] = [verb(p.ops[0], p.b), verb(p.ops[1], p.c)];
    instruction = `${name} has ${p.a} ${objs}. First, ${clauses[0]}. Then ${clauses[1]}. How many ${objs} does ${name} have now?`;
    steps = rationale(p, clauses, { first: 'First, ', then: 'Then ', so: ', so ', end: '. ' });
  } else {
    const name = pick(rng, NAMES_ZH), [obj, m] = pick(rng, OBJECTS_ZH);
    const verb = (op: string, n: number) => `${name}${pick(rng, op === '+' ? GAIN_ZH : LOSS_ZH).replace('{n}', String(n)).replace('{m}', m)}`;
    const clauses: [string, string] = [verb(p.ops[0], p.b), verb(p.ops[1], p.c)];
    instruction = `${name}有${p.a}${m}${obj}。首先，${clauses[0]}。然后${clauses[1]}。${name}现在有几${m}${obj}？`;
    steps = rationale(p, clauses, { first: '首先，', then: '然后', so: '，所以', end: '。' });
  }
  const output = style === 'cot' ? `${steps}${answerLine(lang, r)}` : answerLine(lang, r);
  return { instruction, input: '', output, answer: String(r), match: 'number', family: 'arithmetic', lang };
}
