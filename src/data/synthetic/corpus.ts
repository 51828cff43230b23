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
/**
 * One-step stories: read a number from the text, apply one change, and (2 in 3) write the change as an equation
 * whose operands are copied from the story ("Then Tom gets 3 more, so 5 + 3 = 8."). The tasks chain two such steps.
 */
const storyEn: Sentence = (r) => {
  const n = pick(r, NAMES_EN), [, objs] = pick(r, OBJECTS_EN), a = between(r, 2, 18), b = between(r, 2, 9);
  const gain = r.int(2) === 0, c = gain ? b : Math.min(a, b), after = gain ? a + c : a - c;
  const change = gain ? `${pick(r, ['gets', 'buys', 'finds'])} ${c} more` : `${pick(r, ['gives away', 'loses', 'sells'])} ${c}`;
  const eq = r.int(3) === 0 ? '' : `, so ${a} ${gain ? '+' : '-'} ${c} = ${after}`;
  return `${n} has ${a} ${objs}. ${pick(r, ['', 'Then '])}${n} ${change}${eq}. Now ${n} has ${after} ${objs}.`;
};
const storyZh: Sentence = (r) => {
  const n = pick(r, NAMES_ZH), [obj, m] = pick(r, OBJECTS_ZH), a = between(r, 2, 18), b = between(r, 2, 9);
  const gain = r.int(2) === 0, c = gain ? b : Math.min(a, b), after = gain ? a + c : a - c;
  const change = `${pick(r, gain ? ['又买了', '又得到了', '又找到了'] : ['送出了', '丢了', '卖掉了'])}${c}${m}`;
  const eq = r.int(3) === 0 ? '' : `，所以${a} ${gain ? '+' : '-'} ${c} = ${after}`;
  return `${n}有${a}${m}${obj}。${pick(r, ['', '然后'])}${n}${change}${eq}。现在${n}有${after}${m}${obj}。`;
};
/**
 * Retellings: 2-4 events of one or more people ("Mia sells 2. Then Ben finds 4 more."), then "Again:" and the same
 * events word for word. No arithmetic: they teach copying a clause from earlier in the text (induction), which a
 * step-by-step answer needs to quote the question's events.
 */
function retell(r: Rng, zh: boolean): string {
  const k = between(r, 2, 4), events: string[] = [];
  for (let i = 0; i < k; i++) {
    const n = pick(r, zh ? NAMES_ZH : NAMES_EN), x = between(r, 2, 9), gain = r.int(2) === 0;
    const [obj, m] = pick(r, OBJECTS_ZH);
    const change = zh ? `${pick(r, gain ? ['又买了', '又得到了', '又找到了'] : ['送出了', '丢了', '卖掉了'])}${x}${m}${r.int(2) ? obj : ''}` : gain ? `${pick(r, ['gets', 'buys', 'finds'])} ${x} more` : `${pick(r, ['gives away', 'loses', 'sells'])} ${x}`;
    events.push(zh ? `${i ? '然后' : '首先，'}${n}${change}。` : `${i ? 'Then ' : 'First, '}${n} ${change}.`);
  }
  const text = events.join(zh ? '' : ' ');
  return zh ? `${text}再说一遍：${text}` : `${text} Again: ${text}`;
}
const retellEn: Sentence = (r) => retell(r, false);
const retellZh: Sentence = (r) => retell(r, true);
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

const EN = [sumEn, diffEn, storyEn, storyEn, storyEn, retellEn, retellEn, unitEn, orderEn, wordsEn];
const ZH = [sumZh, diffZh, storyZh, storyZh, storyZh, retellZh, retellZh, unitZh, orderZh, wordsZh];

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
