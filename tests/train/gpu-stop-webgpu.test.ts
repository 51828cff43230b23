/**
 * train() on WebGPU (SwiftShader here) with a tiny random llama and LoRA:
 * - an injected validation error (a plain tf.addN past the device's storage-buffer limit, dispatched during step 3)
 *   stops the run with one 'gpu' error event, no step 3, and the step-2 checkpoint kept and loadable;
 * - 14 micro-batches per step, the run that printed stale losses in issue 11 (an AddN over 14 losses), now gives
 *   wasm's losses and gradient norms.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { randomModel } from '../../src/model/random';
import { initBackend } from '../../src/platform/backend';
import { maxKernelInputs } from '../../src/platform/gpu-device';
import { checkpointName, memoryCheckpointStore } from '../../src/train/checkpoint';
import type { LossFn } from '../../src/train/step';
import type { TrainEvent } from '../../src/train/trainer';
import { loraRun, maxRelGap, randomBatches } from './backend-runs';

const TINY = {
  model_type: 'llama', vocab_size: 48, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 2,
  intermediate_size: 32, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 32, tie_word_embeddings: false,
};

/** During micro-batch `at` (1-based), also dispatches an AddN with more inputs than the device can bind. */
function faultAt(at: number): (base: LossFn) => LossFn {
  let calls = 0;
  return (base) => (b, ctx) => {
    if (++calls === at) {
      const xs = Array.from({ length: maxKernelInputs() + 2 }, () => tf.ones([4]));
      tf.addN(xs).dispose();
      xs.forEach((x) => x.dispose());
    }
    return base(b, ctx);
  };
}

describe('train() on WebGPU', () => {
  beforeAll(async () => {
    expect((await initBackend({ prefer: ['webgpu'] })).name).toBe('webgpu');
  });

  it('a GPU validation error stops the run and keeps the last good checkpoint', async () => {
    const store = memoryCheckpointStore();
    const r = await loraRun({
      backend: 'webgpu', model: () => randomModel(TINY, 1), batches: randomBatches(3, 6, 1, 8, TINY.vocab_size),
      config: { maxSteps: 5, batchSize: 1, gradAccum: 1, checkpointEvery: 1, keepCheckpoints: 10 }, targets: ['q_proj', 'v_proj'],
      loss: faultAt(3), store,
    });
    const kinds = r.events.map((e) => (e.kind === 'step' || e.kind === 'checkpoint' ? `${e.kind} ${e.step}` : e.kind));
    expect(kinds).toEqual(['start', 'step 1', 'checkpoint 1', 'step 2', 'checkpoint 2', 'error', 'done']);
    const [one, two] = [checkpointName(1), checkpointName(2)];
    const err = r.events.find((e): e is Extract<TrainEvent, { kind: 'error' }> => e.kind === 'error')!;
    expect(err).toMatchObject({ reason: 'gpu', step: 2, lastCheckpoint: two });
    expect(err.message).toMatch(/^training stopped at step 3: WebGPU error: a GPU command failed validation.*storage buffers.*; the last good checkpoint is step-0+2$/);
    const done = r.events.at(-1) as Extract<TrainEvent, { kind: 'done' }>;
    expect(done.summary).toMatchObject({ status: 'failed', steps: 2, lastCheckpoint: two });
    expect((await store.list()).sort()).toEqual([one, two]);
    const kept = await store.load(two);
    expect(kept?.meta.step).toBe(2);
  });

  it('14 micro-batches per step (an addN over 14 losses) give the losses and norms of wasm', async () => {
    expect(maxKernelInputs(), 'this test needs more micro-batches than one kernel can bind').toBeLessThan(14);
    const spec = {
      model: () => randomModel(TINY, 2), batches: randomBatches(4, 28, 1, 8, TINY.vocab_size),
      config: { maxSteps: 2, batchSize: 1, gradAccum: 14 }, targets: ['q_proj', 'v_proj'],
    };
    const gpu = await loraRun({ ...spec, backend: 'webgpu' });
    const cpu = await loraRun({ ...spec, backend: 'wasm' });
    console.log(`gradAccum 14: loss webgpu ${gpu.losses.join(' ')} wasm ${cpu.losses.join(' ')}; norm webgpu ${gpu.gradNorms.join(' ')} wasm ${cpu.gradNorms.join(' ')}`);
    expect(gpu.losses.length).toBe(2);
    // Same tolerances as the depth test (depth-webgpu.test.ts says why); the stale-memory bug was off by ~50%.
    expect(maxRelGap(gpu.losses, cpu.losses)).toBeLessThanOrEqual(1e-5);
    expect(maxRelGap(gpu.gradNorms, cpu.gradNorms)).toBeLessThanOrEqual(1e-4);
  });
});
