/**
 * trainStep on the llama-gqa fixture (full fine-tuning, cpu): the accumulation scaling (two identical micro-batches
 * give exactly the single-batch step, since /2 then +  is exact in f32), the skip on non-finite loss, and a
 * constant tensor count across steps. Plus the checkpointable RNG.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { initBackend } from '../../src/platform/backend';
import { AdamW } from '../../src/train/optimizer';
import { Rng } from '../../src/train/rng';
import { trainStep } from '../../src/train/step';
import { haveShared } from '../helpers/fixtures';
import { fixtureBatch, llamaLoss, trainableLlama } from './helpers';

const HP = { betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0.01 };

async function snapshot(params: Map<string, tf.Variable>): Promise<Float32Array[]> {
  return Promise.all([...params.values()].map(async (v) => Float32Array.from(await v.data())));
}

describe.skipIf(!haveShared('trainStep'))('trainStep', () => {
  beforeAll(async () => {
    await initBackend({ prefer: ['cpu'] });
  });

  it('accumulating two identical micro-batches equals one step on that batch', async () => {
    const runs: { loss: number; gradNorm: number; params: Float32Array[] }[] = [];
    for (const micro of [[fixtureBatch([0])], [fixtureBatch([0]), fixtureBatch([0])]]) {
      const { model, params } = await trainableLlama();
      const opt = new AdamW(params, HP);
      const r = await trainStep({ params, optimizer: opt, loss: llamaLoss(model), microBatches: micro, lr: 1e-3, maxGradNorm: 1, rng: new Rng(1) });
      runs.push({ loss: r.loss, gradNorm: r.gradNorm, params: await snapshot(params) });
      expect(r.tokens).toBe(12 * micro.length);
      opt.dispose();
      model.dispose();
    }
    expect(runs[1].loss).toBe(runs[0].loss);
    expect(runs[1].gradNorm).toBe(runs[0].gradNorm);
    runs[0].params.forEach((p, i) => expect(runs[1].params[i]).toEqual(p));
  });

  it('skips the update on a non-finite loss, and keeps the tensor count flat across steps', async () => {
    const { model, params } = await trainableLlama();
    const opt = new AdamW(params, HP);
    const base = llamaLoss(model);
    const counts: number[] = [];
    for (let k = 0; k < 4; k++) {
      await trainStep({ params, optimizer: opt, loss: base, microBatches: [fixtureBatch([0, 1]), fixtureBatch([1])], lr: 1e-3, maxGradNorm: 1, rng: new Rng(1) });
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size, `tensor counts ${counts}`).toBe(1);
    const before = await snapshot(params);
    const optBefore = await opt.exportState();
    const r = await trainStep({ params, optimizer: opt, loss: (b, c) => tf.mul(base(b, c), Infinity), microBatches: [fixtureBatch()], lr: 1e-3, maxGradNorm: 1, rng: new Rng(1) });
    expect(r.applied).toBe(false);
    expect(r.loss).toBe(Infinity);
    (await snapshot(params)).forEach((p, i) => expect(p).toEqual(before[i]));
    expect(await opt.exportState()).toEqual(optBefore);
    expect(tf.memory().numTensors).toBe(counts[0]);
    opt.dispose();
    model.dispose();
  });
});

describe('Rng', () => {
  it('is seeded, uniform-looking, and resumes from its state', () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(c.next()).not.toBe(xs[0]);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / xs.length - 0.5)).toBeLessThan(0.03);
    const st = a.state();
    const resumed = new Rng(JSON.parse(JSON.stringify(st)));
    expect(Array.from({ length: 10 }, () => resumed.nextU32())).toEqual(Array.from({ length: 10 }, () => a.nextU32()));
    expect(() => new Rng([0, 0, 0, 0])).toThrow(/not all zero/);
  });
});
