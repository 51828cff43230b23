/** TrainConfig: defaults, presets as data, partial overrides, and validation messages that name the field. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN_CONFIG, TRAIN_PRESETS, resolveTrainConfig, validateTrainConfig } from '../../src/train/config';

describe('TrainConfig', () => {
  it('defaults are alpaca-lora and valid', () => {
    const c = resolveTrainConfig();
    expect(c).toEqual(DEFAULT_TRAIN_CONFIG);
    expect(c.lr * c.batchSize * c.gradAccum).toBeCloseTo(3e-4 * 128, 12);
    expect(validateTrainConfig(c)).toEqual([]);
    for (const name of Object.keys(TRAIN_PRESETS)) expect(() => resolveTrainConfig({}, name), name).not.toThrow();
  });

  it('layers defaults < preset < overrides, and copies arrays', () => {
    const c = resolveTrainConfig({ lr: 1e-4, adamBetas: [0.9, 0.95] }, 'smoke');
    expect(c).toMatchObject({ lr: 1e-4, maxSteps: 10, batchSize: 1, adamBetas: [0.9, 0.95], scheduler: 'linear' });
    c.adamBetas[0] = 0;
    expect(DEFAULT_TRAIN_CONFIG.adamBetas[0]).toBe(0.9);
    expect(resolveTrainConfig({ maxSteps: undefined }).maxSteps).toBeNull(); // undefined means "not given"
  });

  it('lists every problem with the field, the value and an example', () => {
    let msg = '';
    try {
      resolveTrainConfig({ lr: -1, gradAccum: 0.5, scheduler: 'step' as never, evalSplit: 1.5, bogus: 1 } as never);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/unknown field 'bogus'/);
    expect(msg).toMatch(/lr must be a positive number, e\.g\. 3e-4 \(got -1\)/);
    expect(msg).toMatch(/gradAccum must be an integer >= 1/);
    expect(msg).toMatch(/scheduler must be 'cosine', 'linear' or 'constant' \(got "step"\)/);
    expect(msg).toMatch(/evalSplit must be a fraction/);
    expect(() => resolveTrainConfig({}, 'nope')).toThrow(/unknown train preset 'nope' \(known: alpaca-lora/);
  });
});
