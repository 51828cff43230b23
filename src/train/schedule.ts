/**
 * Learning-rate schedules with linear warmup, exactly HF transformers' get_{cosine,linear,constant}_schedule_with_warmup
 * (optimization.py). HF wraps them in torch LambdaLR, which sets lr = lambda(0) at construction and advances after
 * each optimizer.step(): so optimizer step k (0-based) uses lr * lambda(k), and with warmup the FIRST step has lr 0.
 * Also here: how many optimizer steps a run has, and the warmup cap of TrainConfig.warmupMaxFraction (not HF).
 */
import type { SchedulerKind, TrainConfig } from './config';

export interface ScheduleSpec {
  kind: SchedulerKind;
  /** Peak learning rate. */
  lr: number;
  warmupSteps: number;
  /** Optimizer steps in the run (HF num_training_steps). */
  totalSteps: number;
}

/** HF's lr_lambda: the multiplier of the peak lr at 0-based optimizer step `step`. */
export function lrLambda(kind: SchedulerKind, step: number, warmupSteps: number, totalSteps: number): number {
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  if (kind === 'constant') return 1;
  if (kind === 'linear') return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  // cosine with num_cycles = 0.5: one half-period from 1 down to 0.
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 0.5 * 2 * progress)));
}

/** The learning rate used by 0-based optimizer step `step`. */
export function learningRate(s: ScheduleSpec, step: number): number {
  return s.lr * lrLambda(s.kind, step, s.warmupSteps, s.totalSteps);
}

/**
 * Optimizer steps in a run: maxSteps when set, else epochs * ceil(microBatchesPerEpoch / gradAccum). The last
 * group of an epoch may be short and still makes a step (HF >= 4.46 does the same). Throws when neither is known.
 */
export function totalSteps(c: Pick<TrainConfig, 'maxSteps' | 'epochs' | 'gradAccum'>, microBatchesPerEpoch?: number): number {
  if (c.maxSteps !== null) return c.maxSteps;
  if (microBatchesPerEpoch === undefined) throw new Error('the run length is unknown: set maxSteps, or use a data source that reports batchesPerEpoch');
  if (microBatchesPerEpoch <= 0) throw new Error('the training data is empty: no micro-batches in an epoch');
  return Math.ceil(c.epochs * Math.ceil(microBatchesPerEpoch / c.gradAccum));
}

/** warmupSteps, capped at ceil(warmupMaxFraction * total) so that a short run still reaches its peak lr. */
export function effectiveWarmup(c: Pick<TrainConfig, 'warmupSteps' | 'warmupMaxFraction'>, total: number): number {
  return Math.min(c.warmupSteps, Math.ceil(c.warmupMaxFraction * total));
}

export function scheduleFor(c: TrainConfig, total: number): ScheduleSpec {
  return { kind: c.scheduler, lr: c.lr, warmupSteps: effectiveWarmup(c, total), totalSteps: total };
}
