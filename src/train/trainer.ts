/**
 * The training loop as an async generator of TrainEvent: micro-batches from a resumable BatchSource, grouped by
 * gradAccum into optimizer steps (step.ts), scheduled lr, periodic eval and checkpoints, resume from a checkpoint,
 * abort, and a hard stop on NaN/Inf or a WebGPU error (platform/gpu-errors.ts) that keeps the last good checkpoint.
 * Generic over any named set of tf.Variables and a loss function: LoRA, full fine-tuning and prompt tuning all come in
 * as (params, loss).
 * Clock, store, memory probe and the event-loop yield are injected. Not here: data loading, adapters, model I/O.
 */
import { F16_FLAG, useF16 } from '../kernels/gpu-features';
import { tf, type Tensor } from '../kernels/tf';
import { gpuErrorScope } from '../platform/gpu-device';
import { GpuError } from '../platform/gpu-errors';
import type { BatchSource, Batch } from './batch';
import { checkpointName, latestCheckpoint, pruneCheckpoints, restoreTraining, snapshotTraining, type CheckpointStore, type StoredTensor } from './checkpoint';
import type { TrainConfig } from './config';
import { checkFits, type MemoryEstimate, type MethodSpec } from './estimate';
import { AdamW, type Variable } from './optimizer';
import { Rng } from './rng';
import { learningRate, scheduleFor, totalSteps } from './schedule';
import { evaluate, trainStep, type LossFn, type StepResult } from './step';

export interface TrainJob {
  config: TrainConfig;
  /** The trainable variables by name (adapter weights, all weights, virtual tokens ...). */
  params: Map<string, Variable>;
  /** Mean loss of one micro-batch, computed from `params`. */
  loss: LossFn;
  data: BatchSource;
  /** Held-out micro-batches; rewound to the cursor it has when train() starts, before every eval. */
  evalData?: BatchSource;
  store?: CheckpointStore;
  /** Continue from this checkpoint in `store` ('latest' = the newest step-N). */
  resumeFrom?: string;
  /** Refuse to start when this does not fit (estimate.ts). */
  memoryCheck?: { estimate: MemoryEstimate; maxBufferBytes: number; deviceBytes: number; method?: MethodSpec };
  /** Which params take weight decay; default: all but biases and norms. */
  decays?: (name: string) => boolean;
  /** Milliseconds; default Date.now. */
  clock?: () => number;
  signal?: AbortSignal;
  /** Bytes of tensors alive; default tf.memory().numBytes (an upper bound: it counts a shared buffer once per tensor). */
  memoryBytes?: () => number;
  /** Lets the UI breathe between steps; default a zero-delay timeout. */
  tick?: () => Promise<void>;
  /** Work after each optimizer update that needs its gradients, with state that goes into checkpoints (AdaLoRA). */
  stepHook?: StepHook;
}

/**
 * PEFT's user-loop position for AdaLoRA's update_and_allocate: after optimizer.step(), before zero_grad(). `step` is
 * the 0-based index of the step just taken (PEFT's global_step). Its state is checkpointed beside the params under
 * 'hook/' keys and handed back on resume, so a resumed run allocates as an uninterrupted one.
 */
export interface StepHook {
  afterStep(step: number, grads: Map<string, Tensor>): Promise<void> | void;
  saveState(): Promise<{ meta: Record<string, unknown>; tensors: Record<string, StoredTensor> }>;
  restoreState(state: { meta: Record<string, unknown>; tensors: Record<string, StoredTensor> }): void;
}

export interface TrainSummary {
  status: 'completed' | 'aborted' | 'failed';
  /** Optimizer steps done (including those before a resume). */
  steps: number;
  totalSteps: number;
  finalLoss: number | null;
  finalEvalLoss: number | null;
  tokens: number;
  /** Wall time of this call. */
  seconds: number;
  lastCheckpoint: string | null;
}

export type TrainEvent =
  | { kind: 'start'; step: number; totalSteps: number; trainableParams: number; resumedFrom: string | null }
  | { kind: 'step'; step: number; epoch: number; loss: number; lr: number; gradNorm: number; tokensPerSec: number; etaSeconds: number; memoryBytes: number }
  | { kind: 'eval'; step: number; evalLoss: number }
  | { kind: 'checkpoint'; step: number; name: string }
  | { kind: 'error'; step: number; reason: 'non-finite' | 'over-budget' | 'checkpoint' | 'gpu'; message: string; lastCheckpoint: string | null }
  | { kind: 'done'; step: number; summary: TrainSummary };

/** Config fields that may change on resume; any other difference would change the run, so resume refuses. */
const FREE_ON_RESUME: (keyof TrainConfig)[] = ['evalEvery', 'checkpointEvery', 'keepCheckpoints'];

export async function* train(job: TrainJob): AsyncGenerator<TrainEvent, TrainSummary> {
  const { config, params, data } = job;
  const clock = job.clock ?? Date.now;
  const tick = job.tick ?? (() => new Promise<void>((r) => setTimeout(r, 0)));
  const memoryBytes = job.memoryBytes ?? (() => tf.memory().numBytes);
  const started = clock();
  const total = totalSteps(config, data.batchesPerEpoch);
  const schedule = scheduleFor(config, total);
  let step = 0, epoch = 0, tokens = 0, lastLoss: number | null = null, lastEval: number | null = null;
  let lastCheckpoint: string | null = null, savedAt = -1;
  const summary = (status: TrainSummary['status']): TrainSummary => ({
    status, steps: step, totalSteps: total, finalLoss: lastLoss, finalEvalLoss: lastEval, tokens, seconds: (clock() - started) / 1000, lastCheckpoint,
  });

  if (job.memoryCheck) {
    const m = job.memoryCheck;
    const fit = checkFits(m.estimate, m.maxBufferBytes, m.deviceBytes, m.method);
    if (!fit.ok) {
      yield { kind: 'error', step, reason: 'over-budget', message: fit.message, lastCheckpoint };
      yield { kind: 'done', step, summary: summary('failed') };
      return summary('failed');
    }
  }

  const optimizer = new AdamW(params, { betas: config.adamBetas, eps: config.adamEps, weightDecay: config.weightDecay, decays: job.decays });
  try {
    let rng = new Rng(config.seed);
    let resumedFrom: string | null = null;
    if (job.resumeFrom) {
      if (!job.store) throw new Error('resumeFrom needs a checkpoint store');
      const name = job.resumeFrom === 'latest' ? await latestCheckpoint(job.store) : job.resumeFrom;
      const ckpt = name ? await job.store.load(name) : null;
      if (!ckpt || !name) throw new Error(`no checkpoint '${job.resumeFrom}' to resume from`);
      const meta = restoreTraining(ckpt, params, optimizer);
      if (job.stepHook) {
        const tensors = Object.fromEntries(Object.entries(ckpt.tensors).filter(([k]) => k.startsWith('hook/')).map(([k, t]) => [k.slice(5), t]));
        job.stepHook.restoreState({ meta: (ckpt.meta.hook ?? {}) as Record<string, unknown>, tensors });
      }
      const changed = (Object.keys(config) as (keyof TrainConfig)[]).filter((k) => !FREE_ON_RESUME.includes(k) && JSON.stringify(config[k]) !== JSON.stringify(meta.config[k]));
      if (changed.length) throw new Error(`cannot resume from '${name}': the config differs in ${changed.map((k) => `${k} (${JSON.stringify(meta.config[k])} -> ${JSON.stringify(config[k])})`).join(', ')}`);
      ({ step, epoch, tokens } = meta);
      rng = new Rng(meta.rng);
      data.restore(meta.cursor);
      resumedFrom = lastCheckpoint = name;
      savedAt = step;
    }
    const evalStart = job.evalData?.cursor();
    const evalRng = new Rng((config.seed + 1) >>> 0); // eval never draws from the training stream
    const runEval = async (): Promise<number> => {
      job.evalData!.restore(evalStart);
      const batches: Batch[] = [];
      for (let b = job.evalData!.next(); b; b = job.evalData!.next()) batches.push(b);
      return gpuErrorScope(() => evaluate(job.loss, batches, evalRng));
    };
    /** A GpuError as the run's error event (a lost device is thrown: nothing works on it, the caller starts over). */
    const gpuFailure = (e: unknown, at: number): TrainEvent => {
      if (!(e instanceof GpuError)) throw e;
      const message = `training stopped at step ${at}: ${e.message}; the last good checkpoint is ${lastCheckpoint ?? 'none (nothing was saved yet)'}`;
      if (e.kind === 'device-lost') throw new GpuError(e.kind, message);
      return { kind: 'error', step, reason: 'gpu', lastCheckpoint, message };
    };
    const save = async (): Promise<TrainEvent> => {
      try {
        const ckpt = await snapshotTraining(params, optimizer, { step, epoch, config, cursor: data.cursor(), rng: rng.state(), tokens });
        if (job.stepHook) {
          const extra = await job.stepHook.saveState();
          ckpt.meta.hook = extra.meta;
          for (const [k, t] of Object.entries(extra.tensors)) ckpt.tensors[`hook/${k}`] = t;
        }
        const name = checkpointName(step);
        await job.store!.save(name, ckpt);
        await pruneCheckpoints(job.store!, config.keepCheckpoints);
        lastCheckpoint = name;
        savedAt = step;
        return { kind: 'checkpoint', step, name };
      } catch (e) {
        const reason = (e as Error).name === 'NonFiniteError' ? 'non-finite' : 'checkpoint';
        return { kind: 'error', step, reason, message: `${(e as Error).message}; the last good checkpoint is ${lastCheckpoint ?? 'none'}`, lastCheckpoint };
      }
    };

    yield { kind: 'start', step, totalSteps: total, trainableParams: [...params.values()].reduce((a, v) => a + v.size, 0), resumedFrom };
    const runStart = clock(), runStep = step;
    let status: TrainSummary['status'] = 'completed';
    let emptyEpoch = false; // true once a pass has started and yielded nothing yet
    while (step < total) {
      if (job.signal?.aborted) {
        status = 'aborted';
        break;
      }
      const micro: Batch[] = [];
      while (micro.length < config.gradAccum) {
        const b = data.next();
        if (b) {
          micro.push(b);
          emptyEpoch = false;
          continue;
        }
        if (micro.length) break; // the last, short group of an epoch still makes a step
        if (!data.startEpoch || emptyEpoch) break; // one-pass source, or an epoch with no data: the data is done
        epoch++;
        emptyEpoch = true;
        data.startEpoch(epoch);
      }
      if (!micro.length) break;

      const t0 = clock();
      const lr = learningRate(schedule, step);
      let r: StepResult;
      try {
        // A WebGPU error anywhere in the step (or since the last one) throws here: its numbers would be stale memory.
        const at = step, hook = job.stepHook;
        r = await gpuErrorScope(() => trainStep({ params, optimizer, loss: job.loss, microBatches: micro, lr, maxGradNorm: config.maxGradNorm, rng, afterUpdate: hook ? (g) => hook.afterStep(at, g) : undefined }));
      } catch (e) {
        yield gpuFailure(e, step + 1);
        status = 'failed';
        break;
      }
      if (!r.applied) {
        const what = !Number.isFinite(r.loss) ? `loss is ${r.loss}` : `gradient norm is ${r.gradNorm}`;
        const f16 = useF16() ? `; WebGPU's f16 products were on, and an activation beyond ±65,504 overflows them: ${F16_FLAG}=0 (Node) or ?tfjsflags=${F16_FLAG}:false turns them off` : '';
        yield {
          kind: 'error', step, reason: 'non-finite', lastCheckpoint,
          message: `training stopped at step ${step + 1}: the ${what}, so the update was skipped (lower lr, check the data); the last good checkpoint is ${lastCheckpoint ?? 'none (nothing was saved yet)'}${f16}`,
        };
        status = 'failed';
        break;
      }
      step++;
      tokens += r.tokens;
      lastLoss = r.loss;
      const now = clock();
      const perStep = (now - runStart) / 1000 / (step - runStep);
      yield {
        kind: 'step', step, epoch, loss: r.loss, lr, gradNorm: r.gradNorm,
        tokensPerSec: now > t0 ? r.tokens / ((now - t0) / 1000) : 0, etaSeconds: perStep * (total - step), memoryBytes: memoryBytes(),
      };
      if (job.evalData && config.evalEvery > 0 && step % config.evalEvery === 0 && step < total) {
        try {
          lastEval = await runEval();
        } catch (e) {
          yield gpuFailure(e, step);
          status = 'failed';
          break;
        }
        yield { kind: 'eval', step, evalLoss: lastEval };
      }
      if (job.store && config.checkpointEvery > 0 && step % config.checkpointEvery === 0) {
        const ev = await save();
        yield ev;
        if (ev.kind === 'error') {
          status = 'failed';
          break;
        }
      }
      await tick();
    }
    if (status === 'completed' && job.evalData && step > 0) {
      let failure: TrainEvent | null = null;
      try {
        lastEval = await runEval();
      } catch (e) {
        failure = gpuFailure(e, step);
        status = 'failed';
      }
      yield failure ?? { kind: 'eval', step, evalLoss: lastEval! };
    }
    // A finished or aborted run is saved so it can be used or resumed; a failed one keeps the last good checkpoint.
    if (status !== 'failed' && job.store && step > 0 && savedAt !== step) {
      const ev = await save();
      yield ev;
      if (ev.kind === 'error') status = 'failed';
    }
    const s = summary(status);
    yield { kind: 'done', step, summary: s };
    return s;
  } finally {
    optimizer.dispose();
  }
}
