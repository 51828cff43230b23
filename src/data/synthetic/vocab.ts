/**
 * The small closed world every synthetic generator draws from: names, objects and units in English and Chinese.
 * Data only. Keeping the world small is deliberate: a model of ~1M parameters can learn it during pretraining, so
 * instruction tuning has to teach the task format, not the world (Zhou et al. 2023, LIMA's superficial alignment).
 */
import type { Rng } from '../rng';

export const NAMES_EN = ['Tom', 'Mia', 'Sam', 'Lily', 'Ben', 'Anna', 'Leo', 'Emma', 'Max', 'Zoe'];
export const NAMES_ZH = ['小明', '小红', '小华', '小丽', '小刚', '小芳', '小军', '小兰'];
/** [singular, plural] */
export const OBJECTS_EN: [string, string][] = [['apple', 'apples'], ['pear', 'pears'], ['book', 'books'], ['ball', 'balls'], ['cake', 'cakes'], ['pen', 'pens'], ['cup', 'cups'], ['egg', 'eggs']];
/** [object, measure word] */
export const OBJECTS_ZH: [string, string][] = [['苹果', '个'], ['梨', '个'], ['书', '本'], ['球', '个'], ['蛋糕', '块'], ['笔', '支'], ['杯子', '个'], ['鸡蛋', '个']];
export const WORDS_EN = ['cat', 'dog', 'sun', 'tree', 'fish', 'bird', 'moon', 'star', 'rain', 'milk', 'frog', 'boat'];
export const WORDS_ZH = ['猫', '狗', '太阳', '大树', '小鱼', '小鸟', '月亮', '星星', '雨', '牛奶', '青蛙', '小船'];
export const DIGITS_ZH = ['零', '一', '两', '三', '四', '五', '六', '七', '八', '九'];

/** A conversion that multiplies by a power of ten, so the answer is the number with zeros appended. */
export interface Unit {
  from: string;
  to: string;
  fromZh: string;
  toZh: string;
  factor: number;
}
export const UNITS: Unit[] = [
  { from: 'meters', to: 'centimeters', fromZh: '米', toZh: '厘米', factor: 100 },
  { from: 'centimeters', to: 'millimeters', fromZh: '厘米', toZh: '毫米', factor: 10 },
  { from: 'kilometers', to: 'meters', fromZh: '千米', toZh: '米', factor: 1000 },
  { from: 'kilograms', to: 'grams', fromZh: '千克', toZh: '克', factor: 1000 },
  { from: 'liters', to: 'milliliters', fromZh: '升', toZh: '毫升', factor: 1000 },
];

export function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

/** An integer in [lo, hi]. */
export function between(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}
