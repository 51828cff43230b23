/**
 * Answer extraction, GSM8K-style: the fixed answer line wins over other numbers, else the last number counts;
 * thousands commas and "7.0" normalise; text answers compare the first line without a final period.
 */
import { describe, expect, it } from 'vitest';
import { exactMatch, extractNumber, extractText } from '../../src/eval/exact-match';

describe('exact match', () => {
  it.each([
    ['5 + 3 = 8. 8 - 2 = 6. The answer is 6.', '6'],
    ['The answer is 6. Then 7 more.', '6'], // the answer line wins over a later number
    ['The answer is 3. The answer is 12.', '12'], // the last answer line
    ['9 + 8 = 17。17 - 9 = 8。答案是 8。', '8'],
    ['Natalia sold 48 + 24 = 72 clips', '72'], // no answer line: the last number
    ['It costs 1,200 dollars', '1200'],
    ['The answer is 7.0', '7'],
    ['-3 degrees', '-3'],
    ['no number here', null],
    ['', null],
  ])('extractNumber(%j) = %j', (text, want) => expect(extractNumber(text)).toBe(want));

  it('numbers match after normalisation, and only the extracted one counts', () => {
    expect(exactMatch('3 + 4 = 7. The answer is 7.', '7', 'number')).toBe(true);
    expect(exactMatch('The answer is 70.', '7', 'number')).toBe(false);
    expect(exactMatch('7 meters is 700 centimeters.', '700', 'number')).toBe(true);
    expect(exactMatch('700 centimeters is 7 meters.', '700', 'number')).toBe(false);
  });

  it('text answers compare the first non-empty line without a final period', () => {
    expect(extractText('\n  0, 4, 6, 9.\nmore')).toBe('0, 4, 6, 9');
    expect(exactMatch('[cat] [cat]', '[cat] [cat]', 'text')).toBe(true);
    expect(exactMatch('[cat]', '[cat] [cat]', 'text')).toBe(false);
    expect(exactMatch('猫 猫 猫。', '猫 猫 猫', 'text')).toBe(true);
  });
});
