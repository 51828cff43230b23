/**
 * AdaLoRA inside train() (cpu, llama-gqa fixture model, init_r 6 -> target_r 4 on q/v, 4 steps, tfinal 1): the
 * trainer's step hook runs PEFT's update_and_allocate after every optimizer step with that step's gradients. The
 * budget follows the cubic schedule (24 -> 18 -> 16, then the forced final mask at step 3 = total_step - tfinal), the
 * masked lora_E are exact zeros where rank_pattern says false, the save is resized to the kept ranks and loads back,
 * and an aborted run resumed from its checkpoint (scores and rank pattern included) ends bit-identical.
 */
import { describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { initBackend } from '../../src/platform/backend';
import { loadModel } from '../../src/model/load';
import { folderSource } from '../../src/node/fs-source';
import type { Model } from '../../src/model/types';
import { attachAdaLora } from '../../src/peft/adalora';
import { adaloraStepHook } from '../../src/peft/adalora-allocate';
import { loadAdapter, saveAdapter } from '../../src/peft/adapter-io';
import type { AdaLoraModule, Adapter } from '../../src/peft/adapter';
import type { AdaLoraConfig } from '../../src/peft/config';
import { memoryCheckpointStore, type CheckpointStore } from '../../src/train/checkpoint';
import { resolveTrainConfig } from '../../src/train/config';
import { objective } from '../../src/train/objective';
import { train, type StepHook } from '../../src/train/trainer';
import { caseDir, haveShared } from '../helpers/fixtures';
import { arraySource, collect, fakeClock, fixtureBatch, stepLosses } from '../train/helpers';
import * as path from 'node:path';

const CFG = { lr: 5e-2, maxSteps: 4, batchSize: 2, gradAccum: 1, scheduler: 'constant' as const, warmupSteps: 0, evalSplit: 0, checkpointEvery: 0, seed: 3 };

async function run(opts: { store?: CheckpointStore; signal?: AbortSignal; resume?: boolean; abortAfter?: number; ac?: AbortController } = {}) {
  const model: Model = await loadModel(folderSource(path.join(caseDir('llama-gqa'), 'model')));
  const adapter = attachAdaLora(model, { init_r: 6, target_r: 4, target_modules: ['q_proj', 'v_proj'], tinit: 0, tfinal: 1, deltaT: 1, lora_alpha: 8 }, { seed: 5 });
  const hook = adaloraStepHook(adapter, 4)!;
  const allocations: { step: number; budget: number; masked: boolean; scores: number[] }[] = [];
  const stepHook: StepHook = {
    afterStep: async (step, grads) => {
      const a = await hook.updateAndAllocate(step, grads);
      allocations.push({ step, budget: a.budget, masked: a.masked, scores: a.scores ? [...a.scores.values()].flatMap((v) => [...v]) : [] });
    },
    saveState: () => hook.saveState(),
    restoreState: (st) => hook.restoreState(st),
  };
  const events = await collect(train({
    config: resolveTrainConfig(CFG), params: adapter.params, loss: objective(model, adapter), data: arraySource([fixtureBatch([0]), fixtureBatch([1])]),
    clock: fakeClock(), stepHook, store: opts.store, signal: opts.ac?.signal, resumeFrom: opts.resume ? 'latest' : undefined,
  }), (e) => e.kind === 'step' && e.step === opts.abortAfter && opts.ac?.abort());
  return { model, adapter, hook, events, allocations };
}

async function values(a: Adapter): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [k, v] of a.params) out[k] = Array.from((await v.data()) as Float32Array);
  return out;
}

describe.skipIf(!haveShared('AdaLoRA in train()'))('AdaLoRA in train()', () => {
  it('allocates after every step: budget 24 -> 18 -> 16, final forced mask, resized save that loads back', async () => {
    await initBackend({ prefer: ['cpu'] });
    const before = tf.memory().numTensors;
    const { model, adapter, hook, events, allocations } = await run();
    const c = adapter.config as AdaLoraConfig;
    expect(c.total_step).toBe(4);
    // step 0 <= tinit: no mask; 1, 2: int(8 (1 - t/3)^3 + 16) = 18, 16; 3 = total_step - tfinal: forced, target 16.
    expect(allocations.map(({ step, budget, masked }) => [step, budget, masked])).toEqual([[0, 24, false], [1, 18, true], [2, 16, true], [3, 16, true]]);
    expect(stepLosses(events)).toHaveLength(4);
    const pattern = c.rank_pattern!;
    expect(Object.values(pattern).flat().filter(Boolean)).toHaveLength(16);
    for (const m of adapter.modules.values() as Iterable<AdaLoraModule>) {
      const e = Array.from((await m.e.data()) as Float32Array);
      const keep = pattern[`${m.hf}.lora_E`];
      expect(e.map((v) => v !== 0), m.hf).toEqual(keep);
    }
    const files = await saveAdapter(adapter);
    const back = await loadAdapter(model, files);
    const rs = [...back.modules.values()].map((m) => (m as AdaLoraModule).r);
    expect(rs.reduce((a, b) => a + b, 0)).toBe(16);
    expect([...rs].sort()).toEqual(Object.values(pattern).map((p) => p.filter(Boolean).length).sort());
    back.dispose();
    hook.dispose();
    adapter.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an aborted run resumed from its checkpoint (importance scores and rank pattern included) ends bit-identical', async () => {
    await initBackend({ prefer: ['cpu'] });
    const ref = await run();
    const want = await values(ref.adapter);
    const wantPattern = (ref.adapter.config as AdaLoraConfig).rank_pattern;
    const refLosses = stepLosses(ref.events);
    ref.hook.dispose();
    ref.adapter.dispose();
    ref.model.dispose();
    const store = memoryCheckpointStore();
    const first = await run({ store, ac: new AbortController(), abortAfter: 2 });
    expect(Object.keys((await store.load('step-00000002'))!.tensors).some((k) => k.startsWith('hook/adalora_ipt/'))).toBe(true);
    first.hook.dispose();
    first.adapter.dispose();
    first.model.dispose();
    const second = await run({ store, resume: true });
    expect([...stepLosses(first.events), ...stepLosses(second.events)]).toEqual(refLosses);
    // Step 3's triplet scores come from the moving averages of steps 0-2: only equal if the checkpoint carried them.
    expect(second.allocations.map((a) => a.step)).toEqual([2, 3]);
    expect(second.allocations[1].scores).toEqual(ref.allocations[3].scores);
    expect(await values(second.adapter)).toEqual(want);
    expect((second.adapter.config as AdaLoraConfig).rank_pattern).toEqual(wantPattern);
    second.hook.dispose();
    second.adapter.dispose();
    second.model.dispose();
  });
});
