/**
 * Each HF logits processor / warper on small rows whose expected outputs are derived by hand in the comments,
 * and the pipeline order (which a wrong order would change).
 */
import { describe, expect, it } from 'vitest';
import { buildProcessors, applyProcessors, minNewTokens, noRepeatNgram, repetitionPenalty, temperature, topK, topP } from '../../src/generate/processors';
import { resolveOptions } from '../../src/generate/options';

const NEG = -Infinity;
const row = (xs: number[]) => Float32Array.from(xs);
const ctx = (ids: number[], promptLength = ids.length) => ({ ids, promptLength });

describe('repetitionPenalty', () => {
  it('divides positive and multiplies negative scores of tokens in the row, once per token', () => {
    // ids hold 0 and 1 (twice). penalty 2: token 0: 1 > 0 -> 1/2 = 0.5; token 1: -1 < 0 -> -1*2 = -2 (not -4:
    // HF gathers, then scatters, so a repeated id is penalised once); tokens 2, 3 are not in the row: unchanged.
    const s = row([1, -1, 2, 0.5]);
    repetitionPenalty(2)(s, ctx([0, 1, 1]));
    expect(Array.from(s)).toEqual([0.5, -2, 2, 0.5]);
  });
  it('counts prompt tokens and left padding as HF does (input_ids holds both)', () => {
    // Row = [pad 0, 3] with 0 generated: both 0 and 3 are penalised. 4/2 = 2, 6/2 = 3.
    const s = row([4, 1, 1, 6]);
    repetitionPenalty(2)(s, ctx([0, 3], 2));
    expect(Array.from(s)).toEqual([2, 1, 1, 3]);
  });
});

describe('noRepeatNgram', () => {
  it('bans the token that would repeat a bigram', () => {
    // ids 5 1 2 5: bigrams (5,1) (1,2) (2,5). The last token is 5, and (5,1) exists, so 1 is banned.
    const s = new Float32Array(6);
    noRepeatNgram(2)(s, ctx([5, 1, 2, 5]));
    expect(Array.from(s)).toEqual([0, NEG, 0, 0, 0, 0]);
  });
  it('bans the token that would repeat a trigram, every match counted', () => {
    // ids 1 2 3 1 2 4 1 2: trigrams starting with (1,2) are (1,2,3) and (1,2,4); the row ends in (1,2): ban 3 and 4.
    const s = new Float32Array(5);
    noRepeatNgram(3)(s, ctx([1, 2, 3, 1, 2, 4, 1, 2]));
    expect(Array.from(s)).toEqual([0, 0, 0, NEG, NEG]);
  });
  it('does nothing while the row is shorter than n - 1', () => {
    // HF: cur_len + 1 < n -> no bans. One token, n = 3: 2 < 3.
    const s = new Float32Array(3);
    noRepeatNgram(3)(s, ctx([1]));
    expect(Array.from(s)).toEqual([0, 0, 0]);
  });
  it('n = 1 bans every token already in the row', () => {
    const s = new Float32Array(4);
    noRepeatNgram(1)(s, ctx([2, 0]));
    expect(Array.from(s)).toEqual([NEG, 0, NEG, 0]);
  });
});

describe('minNewTokens', () => {
  it('forbids eos until min tokens were generated', () => {
    // Prompt of 2 slots; one token generated (row length 3): 1 < 2 -> eos ids 3 and 1 get -inf.
    const s = row([0, 0, 0, 0]);
    minNewTokens(2, [3, 1])(s, ctx([7, 7, 7], 2));
    expect(Array.from(s)).toEqual([0, NEG, 0, NEG]);
    // Two generated (row length 4): 2 < 2 is false -> untouched.
    const t = row([0, 0, 0, 0]);
    minNewTokens(2, [3, 1])(t, ctx([7, 7, 7, 7], 2));
    expect(Array.from(t)).toEqual([0, 0, 0, 0]);
  });
});

describe('temperature', () => {
  it('divides by t', () => {
    // 1 / 0.5 = 2, -2 / 0.5 = -4, 3 / 0.5 = 6.
    const s = row([1, -2, 3]);
    temperature(0.5)(s, ctx([]));
    expect(Array.from(s)).toEqual([2, -4, 6]);
  });
});

describe('topK', () => {
  it('keeps the k largest', () => {
    // Sorted descending 4 3 2 1: the 2nd largest is 3; scores < 3 go to -inf.
    const s = row([1, 4, 3, 2]);
    topK(2)(s, ctx([]));
    expect(Array.from(s)).toEqual([NEG, 4, 3, NEG]);
  });
  it('keeps ties with the k-th score (HF removes only scores < k-th)', () => {
    // Sorted descending 3 3 2 1: the 2nd largest is 3 -> both 3s stay, 2 and 1 go.
    const s = row([1, 3, 3, 2]);
    topK(2)(s, ctx([]));
    expect(Array.from(s)).toEqual([NEG, 3, 3, NEG]);
  });
  it('k below minKeep is raised to minKeep, k above V keeps everything', () => {
    const s = row([1, 4, 3, 2]);
    topK(1, 3)(s, ctx([])); // k = max(1, 3) = 3: 3rd largest is 2
    expect(Array.from(s)).toEqual([NEG, 4, 3, 2]);
    const t = row([1, 4]);
    topK(10)(t, ctx([]));
    expect(Array.from(t)).toEqual([1, 4]);
  });
});

describe('topP', () => {
  // Scores are log-probabilities of [0.1, 0.2, 0.3, 0.4], so softmax gives them back.
  // Ascending order: 0.1 0.2 0.3 0.4, cumulative 0.1 0.3 0.6 1.0. HF removes cumulative <= 1 - p.
  const probs = [0.1, 0.2, 0.3, 0.4];
  const logp = () => row(probs.map(Math.log));
  const kept = (s: Float32Array) => Array.from(s).map((x, i) => (x === NEG ? -1 : i)).filter((i) => i >= 0);
  it('p = 0.6: 1 - p = 0.4 removes cumulative 0.1 and 0.3 (tokens 0, 1)', () => {
    const s = logp();
    topP(0.6)(s, ctx([]));
    expect(kept(s)).toEqual([2, 3]);
  });
  it('p = 0.75: 1 - p = 0.25 removes only cumulative 0.1 (token 0)', () => {
    const s = logp();
    topP(0.75)(s, ctx([]));
    expect(kept(s)).toEqual([1, 2, 3]);
    expect(s[1]).toBeCloseTo(Math.log(0.2), 6); // kept scores are untouched
  });
  it('p = 0.3: 1 - p = 0.7 removes 0.1, 0.3, 0.6: only the most likely token stays', () => {
    const s = logp();
    topP(0.3)(s, ctx([]));
    expect(kept(s)).toEqual([3]);
  });
  it('minKeep 2 keeps the two most likely even when p alone would keep one', () => {
    const s = logp();
    topP(0.3, 2)(s, ctx([]));
    expect(kept(s)).toEqual([2, 3]);
  });
  it('works on unsorted rows and leaves -inf tokens removed', () => {
    // Same probabilities shuffled to positions [3, 0, 2, 1] plus a -inf token at index 4.
    const s = row([Math.log(0.4), Math.log(0.1), Math.log(0.3), Math.log(0.2), NEG]);
    topP(0.6)(s, ctx([]));
    expect(kept(s)).toEqual([0, 2]);
  });
});

describe('pipeline', () => {
  it('greedy (doSample false) gets no warpers', () => {
    const o = resolveOptions({ temperature: 0.5, topK: 1, topP: 0.1 });
    expect(buildProcessors(o)).toHaveLength(0);
  });
  it('applies no-repeat-ngram before top-k, as HF (processors before warpers)', () => {
    // scores [5, 4, 1], the row ends in 9 and holds the bigram (9, 0): token 0 is banned first -> [-inf, 4, 1];
    // then top-k 2 keeps 4 and 1. The reverse order would keep 5 and 4, then ban 0, leaving only token 1.
    const o = resolveOptions({ doSample: true, topK: 2, noRepeatNgramSize: 2 });
    const s = row([5, 4, 1]);
    applyProcessors(buildProcessors(o), s, ctx([9, 0, 9]));
    expect(Array.from(s)).toEqual([NEG, 4, 1]);
  });
  it('applies repetition penalty before temperature and top-p', () => {
    // penalty 2 on token 1 (in the row): logit ln(0.6) < 0 -> 2 ln 0.6 = ln 0.36; temperature 1 leaves it.
    // Then softmax over [ln .4, ln .36] = [.526, .474]: top-p 0.5 (1-p = .5) removes cumulative .474 (token 1).
    // Without the penalty first, token 1 (0.6) would be the one kept.
    const o = resolveOptions({ doSample: true, topK: 0, topP: 0.5, repetitionPenalty: 2 });
    const s = row([Math.log(0.4), Math.log(0.6)]);
    applyProcessors(buildProcessors(o), s, ctx([1]));
    expect(s[1]).toBe(NEG);
    expect(s[0]).toBeCloseTo(Math.log(0.4), 6);
  });
});
