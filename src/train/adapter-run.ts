/**
 * One adapter trained on tokenized examples, start to end, with its loss curve: the training half of an ablation
 * variant (eval/ablation.ts takes this as its `trainer`, since eval/ may not import train/). Seeded by
 * config.seed: data order (BatchSource), dropout (the trainer); the adapter's init is seeded where it is attached.
 * No checkpoints, no memory planning (the caller picks settings that fit). A non-finite loss or a device error is
 * thrown as an Error; an abort (signal) as the signal's reason.
 */
import { BatchSource } from '../data/batches';
import type { TokenizedExample } from '../data/tokenize-example';
import type { Model } from '../model/types';
import type { Adapter } from '../peft';
import type { TrainConfig } from './config';
import { objective, paramsOf } from './objective';
import { train } from './trainer';

export interface AdapterRunJob {
  model: Model;
  adapter: Adapter;
  examples: TokenizedExample[];
  /** Held-out examples for the periodic eval loss (used only when config.evalEvery > 0). */
  heldOut: TokenizedExample[];
  config: TrainConfig;
  padId: number;
  signal?: AbortSignal;
  clock?: () => number;
  onStep?: (step: number, totalSteps: number, loss: number) => void;
}

export interface AdapterRunCurves {
  lossCurve: { step: number; loss: number }[];
  evalCurve: { step: number; loss: number }[];
}

export async function trainAdapterRun(j: AdapterRunJob): Promise<AdapterRunCurves> {
  const c = j.config;
  const data = new BatchSource(j.examples, { batchSize: c.batchSize, padId: j.padId, seed: c.seed, cutoffLen: c.cutoffLen });
  const evalData = c.evalEvery > 0 && j.heldOut.length ? new BatchSource(j.heldOut, { batchSize: c.batchSize, padId: j.padId, shuffle: false, cutoffLen: c.cutoffLen }) : undefined;
  const out: AdapterRunCurves = { lossCurve: [], evalCurve: [] };
  let total = c.maxSteps ?? 0;
  for await (const e of train({ config: { ...c, checkpointEvery: 0 }, params: paramsOf(j.model, j.adapter), loss: objective(j.model, j.adapter), data, evalData, signal: j.signal, clock: j.clock })) {
    if (e.kind === 'start') total = e.totalSteps;
    else if (e.kind === 'step') {
      out.lossCurve.push({ step: e.step, loss: e.loss });
      j.onStep?.(e.step, total, e.loss);
    } else if (e.kind === 'eval') out.evalCurve.push({ step: e.step, loss: e.evalLoss });
    else if (e.kind === 'error') throw new Error(e.message);
    else if (e.kind === 'done' && e.summary.status === 'aborted') j.signal?.throwIfAborted();
  }
  return out;
}
