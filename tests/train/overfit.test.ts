/**
 * "Overfit one batch", as llm.c's test_gpt2: full fine-tuning of the llama-gqa fixture model through train(),
 * against tests/reference/overfit_llama_gqa.json, written by a plain-torch llama (checked against the HF fixture's
 * logits and loss first) trained with torch.optim.AdamW. Two recipes, 10 steps each:
 *   single: both rows in one micro-batch, constant lr 1e-3
 *   accum:  two 1-row micro-batches per step (loss / 2 each, as HF Trainer), linear schedule, 3 warmup steps
 * AdamW betas (0.9, 0.999), eps 1e-8, wd 0.01 except norm weights, clip 1.0. Tolerance rtol 1e-4 per loss.
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/platform/backend';
import { resolveTrainConfig, type TrainConfig } from '../../src/train/config';
import { train, type TrainEvent } from '../../src/train/trainer';
import { haveShared, readJson } from '../helpers/fixtures';
import { arraySource, collect, fixtureBatch, llamaLoss, trainableLlama } from './helpers';

interface Curve { losses: number[]; grad_norms: number[]; lrs: number[] }
const REF = readJson<{ single: Curve; accum: Curve }>(path.join(import.meta.dirname, '../reference/overfit_llama_gqa.json'));
const RTOL = 1e-4;

async function run(cfg: Partial<TrainConfig>, rows: number[][]): Promise<Extract<TrainEvent, { kind: 'step' }>[]> {
  const { model, params } = await trainableLlama();
  const config = resolveTrainConfig({ lr: 1e-3, maxSteps: 10, weightDecay: 0.01, maxGradNorm: 1, evalSplit: 0, checkpointEvery: 0, ...cfg });
  const events = await collect(train({ config, params, loss: llamaLoss(model), data: arraySource(rows.map((r) => fixtureBatch(r))) }));
  model.dispose();
  return events.filter((e): e is Extract<TrainEvent, { kind: 'step' }> => e.kind === 'step');
}

function expectCurve(name: string, steps: Extract<TrainEvent, { kind: 'step' }>[], ref: Curve) {
  expect(steps.length).toBe(10);
  const rel = steps.map((s, i) => Math.abs(s.loss - ref.losses[i]) / Math.abs(ref.losses[i]));
  console.log(`${name}: ours ${steps.map((s) => s.loss.toPrecision(8)).join(' ')}\n${name}: torch ${ref.losses.map((l) => l.toPrecision(8)).join(' ')}\n${name}: max rel diff ${Math.max(...rel).toExponential(2)}`);
  rel.forEach((r, i) => expect(r, `step ${i + 1}: ${steps[i].loss} vs torch ${ref.losses[i]}`).toBeLessThanOrEqual(RTOL));
  steps.forEach((s, i) => {
    expect(s.lr).toBeCloseTo(ref.lrs[i], 12);
    expect(Math.abs(s.gradNorm - ref.grad_norms[i]) / ref.grad_norms[i], `grad norm at step ${i + 1}`).toBeLessThanOrEqual(1e-3);
  });
  for (let i = 1; i < 10; i++) expect(steps[i].loss, `loss must fall at step ${i + 1}`).toBeLessThanOrEqual(steps[i - 1].loss);
  expect(steps[9].loss).toBeLessThan(0.6 * steps[0].loss);
}

describe.skipIf(!haveShared('overfit one batch: llama-gqa full fine-tuning vs torch.optim.AdamW'))('overfit one batch: llama-gqa full fine-tuning vs torch.optim.AdamW', () => {
  beforeAll(async () => {
    await initBackend({ prefer: ['cpu'] });
  });

  it('single micro-batch, constant lr', async () => {
    const steps = await run({ batchSize: 2, gradAccum: 1, scheduler: 'constant', warmupSteps: 0 }, [[0, 1]]);
    expectCurve('single', steps, REF.single);
  });

  it('two accumulated micro-batches, linear schedule with warmup (step 1 has lr 0)', async () => {
    const steps = await run({ batchSize: 1, gradAccum: 2, scheduler: 'linear', warmupSteps: 3, warmupMaxFraction: 1 }, [[0], [1]]);
    expectCurve('accum', steps, REF.accum);
    expect(steps[1].loss).toBe(steps[0].loss); // lr 0 at step 1: nothing moved, but Adam's moments were filled
  });
});
