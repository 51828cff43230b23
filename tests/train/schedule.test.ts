/**
 * lr schedules against values derived by hand from HF transformers' lr_lambda formulas (optimization.py):
 *   warmup:   step / max(1, W)                                   for step < W
 *   constant: 1
 *   linear:   max(0, (N - step) / max(1, N - W))
 *   cosine:   max(0, 0.5 * (1 + cos(pi * 2 * 0.5 * (step - W) / max(1, N - W))))
 * and LambdaLR's convention that optimizer step k (0-based) uses lambda(k): step 0 of a warmup has lr 0.
 */
import { describe, expect, it } from 'vitest';
import { effectiveWarmup, learningRate, lrLambda, totalSteps } from '../../src/train/schedule';

describe('HF lr schedules', () => {
  it('linear, warmup 10 of 100, peak 1e-3', () => {
    const s = { kind: 'linear' as const, lr: 1e-3, warmupSteps: 10, totalSteps: 100 };
    expect(learningRate(s, 0)).toBe(0); // 0/10: HF's first update does nothing but fill the Adam moments
    expect(learningRate(s, 5)).toBeCloseTo(5e-4, 15); // 5/10
    expect(learningRate(s, 10)).toBeCloseTo(1e-3, 15); // (100-10)/90 = 1
    expect(learningRate(s, 55)).toBeCloseTo(5e-4, 15); // (100-55)/90 = 0.5
    expect(learningRate(s, 99)).toBeCloseTo(1e-3 / 90, 15); // (100-99)/90
    expect(learningRate(s, 100)).toBe(0);
    expect(learningRate(s, 150)).toBe(0); // max(0, -50/90)
  });

  it('cosine, warmup 10 of 110', () => {
    const f = (k: number) => lrLambda('cosine', k, 10, 110);
    expect(f(3)).toBeCloseTo(0.3, 15); // 3/10
    expect(f(10)).toBeCloseTo(1, 15); // progress 0: 0.5 * (1 + cos 0)
    expect(f(35)).toBeCloseTo(0.8535533905932737, 14); // progress 0.25: 0.5 * (1 + cos(pi/4)) = 0.5 * 1.70710678
    expect(f(60)).toBeCloseTo(0.5, 14); // progress 0.5: 0.5 * (1 + cos(pi/2))
    expect(f(85)).toBeCloseTo(0.14644660940672627, 14); // progress 0.75: 0.5 * (1 - 0.70710678)
    expect(f(110)).toBeCloseTo(0, 14); // progress 1: 0.5 * (1 + cos pi)
  });

  it('constant with warmup 4, and no warmup at all', () => {
    expect([0, 1, 3, 4, 1000].map((k) => lrLambda('constant', k, 4, 10))).toEqual([0, 0.25, 0.75, 1, 1]);
    expect(lrLambda('linear', 0, 0, 10)).toBe(1); // (10-0)/10: without warmup the first step has the peak lr
    expect(lrLambda('cosine', 0, 0, 10)).toBe(1);
  });

  it('run length and the warmup cap', () => {
    // 10 micro-batches per epoch, accum 4 -> ceil(10/4) = 3 steps per epoch (the last one has 2 micro-batches).
    expect(totalSteps({ maxSteps: null, epochs: 3, gradAccum: 4 }, 10)).toBe(9);
    expect(totalSteps({ maxSteps: null, epochs: 1.5, gradAccum: 4 }, 10)).toBe(5); // ceil(4.5)
    expect(totalSteps({ maxSteps: 7, epochs: 3, gradAccum: 4 }, 10)).toBe(7); // max_steps overrides epochs
    expect(() => totalSteps({ maxSteps: null, epochs: 3, gradAccum: 4 })).toThrow(/set maxSteps/);
    expect(effectiveWarmup({ warmupSteps: 100, warmupMaxFraction: 0.1 }, 24)).toBe(3); // ceil(2.4)
    expect(effectiveWarmup({ warmupSteps: 100, warmupMaxFraction: 0.1 }, 5000)).toBe(100);
    expect(effectiveWarmup({ warmupSteps: 100, warmupMaxFraction: 1 }, 24)).toBe(24);
  });
});
