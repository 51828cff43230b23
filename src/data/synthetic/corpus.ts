/**
 * The plain-text pretraining corpus: short documents about the synthetic world in English and Chinese. They state
 * the knowledge the tasks need (one-step sums and differences, one-step stories, unit facts, ordered lists, a word
 * repeated or in brackets) as prose, never as answers to the task prompts (and never a two-step story), plus Alpaca-framed examples of OTHER instructions (name a fruit, count,
 * greet) so a base model knows the frame but not the tasks. Not here: the instruction sets (arithmetic.ts, tasks.ts).
 */
import { alpacaPrompt } from '../../tokenizer/alpaca';
import type { Rng } from '../rng';
import { between, NAMES_EN, NAMES_ZH, OBJECTS_EN, OBJECTS_ZH, pick, UNITS, WORDS_EN, WORDS_ZH } from './vocab';

type Sentence = (rng: Rng) => string;

const sumEn: Sentence = (r) => {
  const x = between(r, 0, 27), y = between(r, 0, 9);
  return pick(r, [`${x} + ${y} = ${x + y}.`, `${x} plus ${y} is ${x + y}.`, `If you add ${y} to ${x}, you get ${x + y}.`]);
};
const diffEn: Sentence = (r) => {
  const y = between(r, 0, 9), x = between(r, y, 27);
  return pick(r, [`${x} - ${y} = ${x - y}.`, `${x} minus ${y} is ${x - y}.`, `If you take ${y} from ${x}, ${x - y} are left.`]);
};
const sumZh: Sentence = (r) => {
  const x = between(r, 0, 27), y = between(r, 0, 9);
  return pick(r, [`${x} + ${y} = ${x + y}。`, `${x}加${y}等于${x + y}。`]);
};
const diffZh: Sentence = (r) => {
  const y = between(r, 0, 9), x = between(r, y, 27);
  return pick(r, [`${x} - ${y} = ${x - y}。`, `${x}减${y}等于${x - y}。`]);
};
/** One-step stories: reading a number from the text and applying one change (the tasks chain two). */
const storyEn: Sentence = (r) => {
  const n = pick(r, NAMES_EN), [, objs] = pick(r, OBJECTS_EN), a = between(r, 2, 18), b = between(r, 2, 9);
  if (r.int(2) === 0) return `${n} has ${a} ${objs}. ${n} ${pick(r, ['gets', 'buys', 'finds'])} ${b} more. Now ${n} has ${a + b} ${objs}.`;
  const c = Math.min(a, b);
  return `${n} has ${a} ${objs}. ${n} ${pick(r, ['gives away', 'loses', 'sells'])} ${c}. Now ${n} has ${a - c} ${objs}.`;
};
const storyZh: Sentence = (r) => {
  const n = pick(r, NAMES_ZH), [obj, m] = pick(r, OBJECTS_ZH), a = between(r, 2, 18), b = between(r, 2, 9);
  if (r.int(2) === 0) return `${n}有${a}${m}${obj}。${n}${pick(r, ['又买了', '又得到了', '又找到了'])}${b}${m}。现在${n}有${a + b}${m}${obj}。`;
  const c = Math.min(a, b);
  return `${n}有${a}${m}${obj}。${n}${pick(r, ['送出了', '丢了', '卖掉了'])}${c}${m}。现在${n}有${a - c}${m}${obj}。`;
};
const unitEn: Sentence = (r) => {
  const u = pick(r, UNITS), n = between(r, 1, 9);
  return pick(r, [`${n} ${u.from} is ${n * u.factor} ${u.to}.`, `One of the ${u.from} is ${u.factor} ${u.to}, so ${n} ${u.from} make ${n * u.factor} ${u.to}.`]);
};
const unitZh: Sentence = (r) => {
  const u = pick(r, UNITS), n = between(r, 1, 9);
  return `${n}${u.fromZh}是${n * u.factor}${u.toZh}。`;
};
const orderEn: Sentence = (r) => {
  const xs = Array.from({ length: between(r, 3, 5) }, () => between(r, 0, 9));
  return `The numbers ${xs.join(', ')} in order are ${[...xs].sort((a, b) => a - b).join(', ')}.`;
};
const orderZh: Sentence = (r) => {
  const xs = Array.from({ length: between(r, 3, 5) }, () => between(r, 0, 9));
  return `数字${xs.join(', ')}从小到大是${[...xs].sort((a, b) => a - b).join(', ')}。`;
};
const TIMES = ['', '', 'two', 'three', 'four'], TIMES_ZH = ['', '', '两', '三', '四'];
const wordsEn: Sentence = (r) => {
  const w = pick(r, WORDS_EN), v = pick(r, WORDS_EN), k = between(r, 2, 4);
  return pick(r, [`The ${w} saw the ${v}.`, `The word ${w} in square brackets is [${w}].`, `The word ${w} ${TIMES[k]} times is ${Array(k).fill(w).join(' ')}.`, `I like the ${w} and the ${v}.`]);
};
const wordsZh: Sentence = (r) => {
  const w = pick(r, WORDS_ZH), v = pick(r, WORDS_ZH), k = between(r, 2, 4);
  return pick(r, [`${w}看见了${v}。`, `"${w}"放进方括号里是[${w}]。`, `"${w}"写${TIMES_ZH[k]}遍是${Array(k).fill(w).join(' ')}。`, `我喜欢${w}和${v}。`]);
};

const EN = [sumEn, diffEn, storyEn, storyEn, unitEn, orderEn, wordsEn, wordsEn];
const ZH = [sumZh, diffZh, storyZh, storyZh, unitZh, orderZh, wordsZh, wordsZh];

/** Instructions unlike the tasks, with answers, in the Alpaca frame. */
const FRAMED: ((r: Rng) => [string, string])[] = [
  (r) => ['Name a fruit.', pick(r, ['Apple.', 'Pear.'])],
  (r) => {
    const a = between(r, 1, 5), b = a + between(r, 2, 4);
    return [`Count from ${a} to ${b}.`, Array.from({ length: b - a + 1 }, (_, i) => a + i).join(', ')];
  },
  (r) => {
    const n = pick(r, NAMES_EN);
    return [`Say hello to ${n}.`, `Hello, ${n}!`];
  },
  (r) => {
    const w = pick(r, WORDS_EN);
    return [`Use the word "${w}" in a sentence.`, `The ${w} is here.`];
  },
  (r) => ['说出一种水果。', pick(r, ['苹果。', '梨。'])],
  (r) => {
    const n = pick(r, NAMES_ZH);
    return [`向${n}问好。`, `你好，${n}！`];
  },
];

/** One document: a paragraph of 3-6 sentences in one language, or (1 in 8) one framed instruction example. */
export function corpusDocument(rng: Rng): string {
  if (rng.int(8) === 0) {
    const [instruction, output] = pick(rng, FRAMED)(rng);
    return alpacaPrompt(instruction) + output;
  }
  const pool = rng.int(3) === 0 ? ZH : EN;
  const n = between(rng, 3, 6);
  const sep = pool === ZH ? '' : ' ';
  return Array.from({ length: n }, () => pick(rng, pool)(rng)).join(sep);
}
