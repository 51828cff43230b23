/**
 * The same seeded LoRA run on two backends, for the WebGPU-vs-wasm tests: a model factory (rebuilt on each backend
 * from the same seed or bytes, so no tensor crosses backends), seeded random token batches, train() with an in-memory
 * checkpoint store, and the step events' loss and gradient norm. Also a comparison that reports the worst gap.
 */
import { attachAdapter, loraConfig } from '../../src/peft';
import type { Model } from '../../src/model/types';
import { initBackend, type BackendName } from '../../src/platform/backend';
import type { Batch } from '../../src/train/batch';
import { memoryCheckpointStore, type CheckpointStore } from '../../src/train/checkpoint';
import { resolveTrainConfig, type TrainConfig } from '../../src/train/config';
import { objective } from '../../src/train/objective';
import { Rng } from '../../src/train/rng';
import type { LossFn } from '../../src/train/step';
import { train, type TrainEvent } from '../../src/train/trainer';
import { arraySource, collect } from './helpers';

/** `n` micro-batches of B rows x T tokens drawn uniformly from [0, V), labels = ids (the loss shifts them). */
export function randomBatches(seed: number, n: number, B: number, T: number, V: number): Batch[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const ids = Int32Array.from({ length: B * T }, () => rng.nextU32() % V);
    return { ids, labels: Int32Array.from(ids), attentionMask: new Int32Array(B * T).fill(1), B, T };
  });
}

export interface RunSpec {
  backend: BackendName;
  model: () => Model | Promise<Model>;
  batches: Batch[];
  config: Partial<TrainConfig>;
  targets: string[];
  /** Wraps the objective, e.g. to inject a GPU fault at some step. */
  loss?: (base: LossFn) => LossFn;
  store?: CheckpointStore;
}

export interface RunResult {
  events: TrainEvent[];
  losses: number[];
  gradNorms: number[];
  /** Wall time of the whole run, and of each step (from the previous event). */
  seconds: number;
  stepSeconds: number[];
}

/** LoRA r 4, alpha 8 on `targets`, trained by train() on `backend`; everything it made is disposed. */
export async function loraRun(s: RunSpec): Promise<RunResult> {
  const choice = await initBackend({ prefer: [s.backend] });
  if (choice.name !== s.backend) throw new Error(`wanted ${s.backend}, got ${choice.name}`);
  const model = await s.model();
  const adapter = attachAdapter(model, loraConfig({ r: 4, lora_alpha: 8, target_modules: s.targets }), { seed: 11 });
  const config = resolveTrainConfig({ lr: 1e-2, scheduler: 'constant', warmupSteps: 0, evalSplit: 0, checkpointEvery: 0, weightDecay: 0, maxGradNorm: 1, seed: 5, ...s.config });
  const base = objective(model, adapter);
  const t0 = Date.now();
  let last = t0;
  const stepSeconds: number[] = [];
  const onEvent = (e: TrainEvent) => {
    if (e.kind === 'step') stepSeconds.push((Date.now() - last) / 1000);
    last = Date.now();
  };
  try {
    const events = await collect(train({ config, params: adapter.params, loss: s.loss ? s.loss(base) : base, data: arraySource(s.batches), store: s.store ?? memoryCheckpointStore() }), onEvent);
    const steps = events.filter((e): e is Extract<TrainEvent, { kind: 'step' }> => e.kind === 'step');
    return { events, losses: steps.map((e) => e.loss), gradNorms: steps.map((e) => e.gradNorm), seconds: (Date.now() - t0) / 1000, stepSeconds };
  } finally {
    adapter.dispose();
    model.dispose();
  }
}

/** max over i of |a_i - b_i| / |b_i|. */
export function maxRelGap(a: number[], b: number[]): number {
  if (a.length !== b.length) throw new Error(`${a.length} values vs ${b.length}`);
  return Math.max(0, ...a.map((x, i) => (Number.isFinite(x) ? Math.abs(x - b[i]) / Math.abs(b[i]) : Infinity)));
}
