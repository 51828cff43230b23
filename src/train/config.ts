/**
 * TrainConfig: the one typed object for a training run, with defaults in one place (tloen/alpaca-lora
 * finetune.py, which Alpaca-CoT inherits), presets as data, partial overrides and validation that names the field.
 * Not here: the method (LoRA rank, targets), the data mix and prompt template; those live beside peft/ and data/.
 */

export type SchedulerKind = 'cosine' | 'linear' | 'constant';

export interface TrainConfig {
  /** Peak learning rate, reached after warmup. e.g. 3e-4 (alpaca-lora, LoRA); 2e-5 for full fine-tuning. */
  lr: number;
  /** Passes over the training data, e.g. 3. Ignored when maxSteps is set. */
  epochs: number;
  /** Optimizer steps to run, overriding epochs as HF's max_steps does; null = derive from epochs. e.g. 500. */
  maxSteps: number | null;
  /** Sequences per micro-batch, i.e. per forward/backward. e.g. 4 (alpaca-lora micro_batch_size). */
  batchSize: number;
  /** Micro-batches per optimizer step. Effective batch = batchSize * gradAccum, e.g. 4 * 32 = 128. */
  gradAccum: number;
  /** Tokens per sequence after truncation, e.g. 256. Bounds activation memory: see estimate.ts. */
  cutoffLen: number;
  /** Linear warmup from lr 0, in optimizer steps. e.g. 100. */
  warmupSteps: number;
  /** Warmup never exceeds this fraction of the run's steps, e.g. 0.1, so short runs still reach the peak lr. 1 = no cap (HF). */
  warmupMaxFraction: number;
  /** Decay after warmup: HF get_{cosine,linear,constant}_schedule_with_warmup. e.g. 'linear' (HF's default). */
  scheduler: SchedulerKind;
  /** AdamW decoupled weight decay, e.g. 0.0 (HF default) or 0.01. Biases and norm weights are never decayed. */
  weightDecay: number;
  /** AdamW (beta1, beta2), e.g. [0.9, 0.999]. */
  adamBetas: [number, number];
  /** AdamW epsilon, added to sqrt(v_hat). e.g. 1e-8. */
  adamEps: number;
  /** Clip the total gradient 2-norm to this, e.g. 1.0 (HF default). 0 = no clipping. */
  maxGradNorm: number;
  /** Held-out examples for eval: a fraction in (0, 1), e.g. 0.05, or a count >= 1, e.g. 2000 (alpaca-lora). 0 = none. */
  evalSplit: number;
  /** Evaluate every N optimizer steps, e.g. 200; 0 = only at the end. */
  evalEvery: number;
  /** Save a checkpoint every N optimizer steps, e.g. 200; 0 = only at the end or on abort. */
  checkpointEvery: number;
  /** Checkpoints kept in the store, oldest deleted first, e.g. 3 (alpaca-lora save_total_limit). */
  keepCheckpoints: number;
  /** Seeds data order, dropout and anything random, e.g. 42 (HF default). */
  seed: number;
}

/** tloen/alpaca-lora finetune.py: batch 128 = micro 4 x accum 32, 3 epochs, lr 3e-4, cutoff 256, warmup 100. */
export const DEFAULT_TRAIN_CONFIG: Readonly<TrainConfig> = Object.freeze({
  lr: 3e-4,
  epochs: 3,
  maxSteps: null,
  batchSize: 4,
  gradAccum: 32,
  cutoffLen: 256,
  warmupSteps: 100,
  warmupMaxFraction: 0.1,
  scheduler: 'linear',
  weightDecay: 0,
  adamBetas: [0.9, 0.999] as [number, number],
  adamEps: 1e-8,
  maxGradNorm: 1.0,
  evalSplit: 2000,
  evalEvery: 200,
  checkpointEvery: 200,
  keepCheckpoints: 3,
  seed: 42,
});

export interface TrainPreset {
  description: string;
  overrides: Partial<TrainConfig>;
}

/** Presets are data: a description and the fields that differ from the defaults. */
export const TRAIN_PRESETS: Readonly<Record<string, TrainPreset>> = Object.freeze({
  'alpaca-lora': { description: 'tloen/alpaca-lora finetune.py as published (the defaults)', overrides: {} },
  browser: {
    description: 'LoRA in a browser tab: effective batch 16, one epoch, frequent checkpoints (a tab can close)',
    overrides: { batchSize: 2, gradAccum: 8, epochs: 1, warmupSteps: 20, evalSplit: 0.05, evalEvery: 50, checkpointEvery: 50 },
  },
  'stanford-alpaca-full': {
    description: 'tatsu-lab/stanford_alpaca full fine-tuning: lr 2e-5, cosine, ~3% warmup (at most 100 steps), cutoff 512',
    overrides: { lr: 2e-5, scheduler: 'cosine', cutoffLen: 512, warmupMaxFraction: 0.03, evalSplit: 0 },
  },
  smoke: {
    description: 'ten tiny steps to check that a setup trains at all (CLI and CI smoke tests)',
    overrides: { maxSteps: 10, batchSize: 1, gradAccum: 1, cutoffLen: 64, warmupSteps: 0, evalSplit: 0.1, evalEvery: 5, checkpointEvery: 5 },
  },
});

export class TrainConfigError extends Error {
  override name = 'TrainConfigError';
}

const KEYS = Object.keys(DEFAULT_TRAIN_CONFIG) as (keyof TrainConfig)[];

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isInt = (x: unknown): x is number => Number.isInteger(x);

/** Every problem with a config, each naming the field, the value and an example of a good one. Empty = valid. */
export function validateTrainConfig(c: TrainConfig): string[] {
  const bad: string[] = [];
  const need = (ok: boolean, key: keyof TrainConfig, rule: string) => {
    if (!ok) bad.push(`${key} must be ${rule} (got ${JSON.stringify(c[key])})`);
  };
  need(isNum(c.lr) && c.lr > 0, 'lr', 'a positive number, e.g. 3e-4');
  need(isNum(c.epochs) && c.epochs > 0, 'epochs', 'a positive number, e.g. 3');
  need(c.maxSteps === null || (isInt(c.maxSteps) && c.maxSteps > 0), 'maxSteps', 'null or a positive integer, e.g. 500');
  need(isInt(c.batchSize) && c.batchSize >= 1, 'batchSize', 'an integer >= 1, e.g. 4');
  need(isInt(c.gradAccum) && c.gradAccum >= 1, 'gradAccum', 'an integer >= 1, e.g. 32');
  need(isInt(c.cutoffLen) && c.cutoffLen >= 2, 'cutoffLen', 'an integer >= 2 (a target needs a token before it), e.g. 256');
  need(isInt(c.warmupSteps) && c.warmupSteps >= 0, 'warmupSteps', 'an integer >= 0, e.g. 100');
  need(isNum(c.warmupMaxFraction) && c.warmupMaxFraction >= 0 && c.warmupMaxFraction <= 1, 'warmupMaxFraction', 'in [0, 1], e.g. 0.1');
  need(c.scheduler === 'cosine' || c.scheduler === 'linear' || c.scheduler === 'constant', 'scheduler', "'cosine', 'linear' or 'constant'");
  need(isNum(c.weightDecay) && c.weightDecay >= 0, 'weightDecay', 'a number >= 0, e.g. 0.01');
  need(Array.isArray(c.adamBetas) && c.adamBetas.length === 2 && c.adamBetas.every((b) => isNum(b) && b >= 0 && b < 1), 'adamBetas', 'two numbers in [0, 1), e.g. [0.9, 0.999]');
  need(isNum(c.adamEps) && c.adamEps > 0, 'adamEps', 'a positive number, e.g. 1e-8');
  need(isNum(c.maxGradNorm) && c.maxGradNorm >= 0, 'maxGradNorm', 'a number >= 0 (0 = no clipping), e.g. 1.0');
  need(isNum(c.evalSplit) && c.evalSplit >= 0 && (c.evalSplit < 1 || isInt(c.evalSplit)), 'evalSplit', 'a fraction in [0, 1) or a whole count, e.g. 0.05 or 2000');
  need(isInt(c.evalEvery) && c.evalEvery >= 0, 'evalEvery', 'an integer >= 0 (0 = only at the end), e.g. 200');
  need(isInt(c.checkpointEvery) && c.checkpointEvery >= 0, 'checkpointEvery', 'an integer >= 0 (0 = only at the end), e.g. 200');
  need(isInt(c.keepCheckpoints) && c.keepCheckpoints >= 1, 'keepCheckpoints', 'an integer >= 1, e.g. 3');
  need(isInt(c.seed) && c.seed >= 0 && c.seed <= 0xffffffff, 'seed', 'an integer in [0, 2^32), e.g. 42');
  return bad;
}

/**
 * Defaults, then the preset's overrides, then the caller's (CLI flags, the experiment object). Unknown keys and
 * invalid values throw one TrainConfigError that lists every problem.
 */
export function resolveTrainConfig(overrides: Partial<TrainConfig> = {}, preset?: string): TrainConfig {
  const problems: string[] = [];
  let base: Partial<TrainConfig> = {};
  if (preset !== undefined) {
    const p = TRAIN_PRESETS[preset];
    if (!p) throw new TrainConfigError(`unknown train preset '${preset}' (known: ${Object.keys(TRAIN_PRESETS).join(', ')})`);
    base = p.overrides;
  }
  for (const k of Object.keys(overrides)) {
    if (!(KEYS as string[]).includes(k)) problems.push(`unknown field '${k}' (known: ${KEYS.join(', ')})`);
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const config = { ...DEFAULT_TRAIN_CONFIG, ...base, ...defined } as TrainConfig;
  config.adamBetas = [...config.adamBetas] as [number, number];
  problems.push(...validateTrainConfig(config));
  if (problems.length) throw new TrainConfigError(`invalid train config: ${problems.join('; ')}`);
  return config;
}
