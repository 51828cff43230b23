/**
 * The terminal charts of `npm run demo` (loss curve) and `npm run classroom` (bars with seed ranges), checked against
 * strings derived by hand from their drawing rules.
 */
import { describe, expect, it } from 'vitest';
import { textBars, textChart } from '../../scripts/lib/text-chart';

describe('text charts', () => {
  it('textChart: a falling curve puts one star per column, top row at the max, bottom at the min', () => {
    // 4 values, width 4, height 3: columns are the values; (v - 1) / 2 * 2 rounds to rows 2, 1, 1, 0.
    const s = textChart([3, 2, 1.5, 1], { width: 4, height: 3 }).split('\n');
    expect(s.slice(0, 3)).toEqual(['   3.00 |*   ', '        | ** ', '   1.00 |   *']);
    expect(s[3]).toBe('        +----');
  });

  it('textBars: # up to the mean, [ ] at min and max, | when they share a column', () => {
    const s = textBars('t', [
      { label: 'base', mean: 0, min: 0, max: 0 },
      // width 10: round(2.5) = 3 cells of '#', then min 0.2 -> column 2 '[', max 0.3 -> column 3 ']'.
      { label: '(a)', mean: 0.25, min: 0.2, max: 0.3 },
      // round(9.5) = 10 cells of '#'; min 0.8 -> column 8; max 1.0 would be column 10 and is clamped into 9.
      { label: '(b)', mean: 0.95, min: 0.8, max: 1 },
    ], 10).split('\n');
    expect(s).toEqual(['t', 'base ||         | 0.0', '(a)  |##[]      | 25.0 (20..30)', '(b)  |########[]| 95.0 (80..100)', '     0       100%']);
  });
});
