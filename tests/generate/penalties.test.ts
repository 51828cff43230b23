/**
 * The processors the OpenAI-compatible server needs beyond HF's classic set: OpenAI's frequency / presence penalties
 * and HF's MinPLogitsWarper, on small rows whose expected outputs are derived by hand in the comments, and where
 * buildProcessors puts them.
 */
import { describe, expect, it } from 'vitest';
import { applyProcessors, buildProcessors, frequencyPresencePenalty, minP } from '../../src/generate/processors';
import { resolveOptions } from '../../src/generate/options';

const NEG = -Infinity;
const row = (xs: number[]) => Float32Array.from(xs);

describe('frequencyPresencePenalty', () => {
  it('subtracts count * frequency + presence for each generated token, and ignores the prompt', () => {
    // Prompt [1] (promptLength 1), generated [2, 2, 0]: c[2] = 2, c[0] = 1, c[1] = 0 (only in the prompt).
    // frequency 0.5, presence 0.25: token 2: 3 - 2*0.5 - 0.25 = 1.75; token 0: 1 - 0.5 - 0.25 = 0.25; token 1, 3 unchanged.
    const s = row([1, 2, 3, 4]);
    frequencyPresencePenalty(0.5, 0.25)(s, { ids: [1, 2, 2, 0], promptLength: 1 });
    expect(Array.from(s)).toEqual([0.25, 2, 1.75, 4]);
  });
  it('negative values reward repetition (OpenAI allows -2..2)', () => {
    // generated [3]: 4 - (1 * -1 + -1) = 6.
    const s = row([1, 2, 3, 4]);
    frequencyPresencePenalty(-1, -1)(s, { ids: [0, 3], promptLength: 1 });
    expect(Array.from(s)).toEqual([1, 2, 3, 6]);
  });
});

describe('minP', () => {
  it('drops tokens below p times the top probability', () => {
    // scores ln 5, ln 3, ln 2, ln 1 -> probs 5/11, 3/11, 2/11, 1/11; ratios to the top: 1, 0.6, 0.4, 0.2.
    // p = 0.5 keeps ratios >= 0.5: tokens 0 and 1.
    const s = row([Math.log(5), Math.log(3), Math.log(2), 0]);
    minP(0.5)(s, { ids: [], promptLength: 0 });
    expect(Array.from(s)).toEqual([Math.fround(Math.log(5)), Math.fround(Math.log(3)), NEG, NEG]);
  });
  it('always keeps the top token, even at p = 1 with a tie', () => {
    // Two tokens tie for the top (ratio 1, not < 1): both stay; the third (ratio e^-1) goes.
    const s = row([2, 2, 1]);
    minP(1)(s, { ids: [], promptLength: 0 });
    expect(Array.from(s)).toEqual([2, 2, NEG]);
  });
});

describe('buildProcessors with the new options', () => {
  it('penalties apply when greedy too; min-p only when sampling', () => {
    const greedy = buildProcessors(resolveOptions({ presencePenalty: 1, minP: 0.5 }));
    const s = row([0, 0.5, 3]);
    // generated [2]: 3 - 1 = 2; min-p is off when greedy, so the row keeps every token.
    applyProcessors(greedy, s, { ids: [0, 2], promptLength: 1 });
    expect(Array.from(s)).toEqual([0, 0.5, 2]);
    const sampling = buildProcessors(resolveOptions({ doSample: true, topK: 0, presencePenalty: 1, minP: 0.5 }));
    const t = row([0, 0.5, 3]);
    // penalty first (3 -> 2), then min-p: ratios e^-2 = 0.14 (dropped), e^-1.5 = 0.22 (dropped), 1 (kept).
    applyProcessors(sampling, t, { ids: [0, 2], promptLength: 1 });
    expect(Array.from(t)).toEqual([NEG, NEG, 2]);
  });
  it('rejects a min-p outside [0, 1] and non-finite penalties', () => {
    expect(() => resolveOptions({ minP: 1.5 })).toThrow(/minP/);
    expect(() => resolveOptions({ frequencyPenalty: NaN })).toThrow(/frequencyPenalty/);
  });
});
