/** Greedy argmax ties, the seeded PRNG, and multinomial draws checked against hand-computed CDF boundaries. */
import { describe, expect, it } from 'vitest';
import { argmax, logSoftmax, mulberry32, sampleToken, softmax } from '../../src/generate/sampler';

describe('argmax', () => {
  it('returns the first maximum, as torch.argmax', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(argmax([-Infinity, -5, -Infinity])).toBe(1);
    expect(argmax(Float32Array.from([0, 0, 7]))).toBe(2);
  });
});

describe('mulberry32', () => {
  it('is deterministic per seed, differs across seeds, stays in [0, 1)', () => {
    const a = mulberry32(42), b = mulberry32(42), c = mulberry32(43);
    const xa = Array.from({ length: 1000 }, a), xb = Array.from({ length: 1000 }, b), xc = Array.from({ length: 1000 }, c);
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
    expect(Math.min(...xa)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xa)).toBeLessThan(1);
    // Mean of 1000 uniforms: 0.5 with standard error 0.009; 0.05 is over 5 sigma.
    expect(Math.abs(xa.reduce((s, x) => s + x, 0) / 1000 - 0.5)).toBeLessThan(0.05);
  });
});

describe('softmax / logSoftmax', () => {
  it('give back normalised probabilities and -inf -> 0', () => {
    // exp(ln .25) / (exp(ln .25) + exp(ln .75)) = .25
    const p = softmax([-Infinity, Math.log(0.25), Math.log(0.75)]);
    expect(p[0]).toBe(0);
    expect(p[1]).toBeCloseTo(0.25, 12);
    // log_softmax of [0, ln 3] = [ln(1/4), ln(3/4)]
    const l = logSoftmax([0, Math.log(3)]);
    expect(l[0]).toBeCloseTo(Math.log(0.25), 6);
    expect(l[1]).toBeCloseTo(Math.log(0.75), 6);
  });
  it('refuses a row with nothing left to sample', () => {
    expect(() => softmax([-Infinity, -Infinity])).toThrow(/nothing can be sampled/);
  });
});

describe('sampleToken', () => {
  // probabilities [0, .25, .75]: the CDF over non-zero tokens is .25 (token 1), 1.0 (token 2).
  const scores = [-Infinity, Math.log(0.25), Math.log(0.75)];
  it('inverts the CDF: u < .25 -> 1, u >= .25 -> 2, never the -inf token', () => {
    expect(sampleToken(scores, () => 0)).toBe(1);
    expect(sampleToken(scores, () => 0.2499)).toBe(1);
    expect(sampleToken(scores, () => 0.2501)).toBe(2);
    expect(sampleToken(scores, () => 0.999999)).toBe(2);
  });
  it('draws with the softmax frequencies', () => {
    // 20000 draws: the frequency of token 2 has standard error sqrt(.75*.25/20000) = 0.003; 0.02 is ~6 sigma.
    const rng = mulberry32(7);
    let n2 = 0;
    for (let i = 0; i < 20000; i++) if (sampleToken(scores, rng) === 2) n2++;
    expect(Math.abs(n2 / 20000 - 0.75)).toBeLessThan(0.02);
  });
});
