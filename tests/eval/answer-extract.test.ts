/**
 * Answer extraction (src/eval/exact-match.ts) on model outputs of the kinds CoT evaluation meets: GSM8K-trained
 * models ending in "#### n", FLAN / Alpaca-CoT style "So the answer is (C).", chatty instruct models that restate
 * the answer with units and dollar signs, Chinese CoT, and outputs with no answer line (the last number counts).
 */
import { describe, expect, it } from 'vitest';
import { exactMatch, extractAnswer, referenceAnswer } from '../../src/eval/exact-match';

describe('number answers', () => {
  it.each([
    // A GSM8K-style fine-tune: calculator annotations stripped, final line "#### n".
    ["Natalia sold 48/2 = 24 clips in May.\nNatalia sold 48+24 = 72 clips altogether in April and May.\n#### 72", '72', 'gsm8k-line'],
    // The #### line wins over a later chatty number.
    ['She makes 9 * 2 = $18 every day.\n#### 18\n\nI hope this helps! Let me know if you have 2 more questions.', '18', 'gsm8k-line'],
    ['#### 1,080', '1080', 'gsm8k-line'],
    // Chain-of-thought prompting's answer line, with a dollar sign and a thousands comma.
    ["Janet's ducks lay 16 eggs. She eats 3 and bakes with 4, so 16 - 3 - 4 = 9 are sold. 9 * $2 = $18. The answer is $18.", '18', 'answer-line'],
    ['The total is 1,200 + 34 = 1,234. The answer is 1,234.', '1234', 'answer-line'],
    ['Step 1: 5 x 4 = 20 apples.\nStep 2: 20 - 3 = 17.\nThe answer is: 17', '17', 'answer-line'],
    ['小明有 5 个苹果，又买了 3 个，一共 5 + 3 = 8 个。答案是 8。', '8', 'answer-line'],
    // No answer line: the last number in the text.
    ['To find the average speed we divide 120 miles by 2 hours, which gives 60 miles per hour.', '60', 'last-number'],
    ['The temperature dropped to -4.5 degrees overnight.', '-4.5', 'last-number'],
    ["I'm sorry, I can't help with that.", null, 'none'],
  ])('%j -> %j (%s)', (text, value, by) => expect(extractAnswer(text, 'number')).toEqual({ value, by }));

  it('compares against a GSM8K reference by its #### line', () => {
    const reference = 'Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18 every day at the farmer’s market.\n#### 18';
    expect(referenceAnswer(reference, 'number')).toBe('18');
    expect(exactMatch('9 eggs at $2 each is $18.\n#### 18', reference, 'number')).toBe(true);
    expect(exactMatch('She has 9 eggs left. The answer is 9.', reference, 'number')).toBe(false);
    expect(exactMatch('no idea', reference, 'number')).toBe(false);
  });
});

describe('choice answers', () => {
  it.each([
    ['A pulley is a simple machine. Gears are not simple machines. So the answer is (C).', 'C', 'answer-line'],
    ['Let\'s think step by step. Rocks are heavy; feathers are light. Therefore, the correct answer is B.', 'B', 'answer-line'],
    ['Answer: D', 'D', 'answer-line'],
    ['卵巢是女性的生殖腺。答案：A', 'A', 'answer-line'],
    ['根据题意，正确选项为 C。答案是C', 'C', 'answer-line'],
    ['B. 前庭大腺\n因为前庭大腺分泌黏液。', 'B', 'leading-letter'],
    ['(D) All of the above', 'D', 'leading-letter'],
    // A lower-case "a" after "the answer is" is an article, not option A; "Apples" starts with a letter only.
    ['I think the answer is a dog.', null, 'none'],
    ['Apples are a fruit.', null, 'none'],
  ])('%j -> %j (%s)', (text, value, by) => expect(extractAnswer(text, 'choice')).toEqual({ value, by }));

  it('matches a letter reference', () => {
    expect(exactMatch('So the answer is (C).', 'C', 'choice')).toBe(true);
    expect(exactMatch('So the answer is (C).', 'B', 'choice')).toBe(false);
  });
});
