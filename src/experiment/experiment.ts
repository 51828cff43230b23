/**
 * The experiment: the one object every screen edits, the share link carries and the CLI can read. Model, data
 * mix, adapter (PEFT), training and generation settings, as plain JSON with a version. Never an API key or a
 * token: there is no field for one, and validate.ts rejects unknown fields. Defaults: the embedded tiny model, the
 * embedded synthetic data and LoRA r=8, alpha=16, dropout 0.05 on q_proj, v_proj (Alpaca-CoT's LoRA setting).
 */

export const EXPERIMENT_VERSION = 1;

export type ModelRef =
  /** A folder on this server, e.g. '/models/webift-tiny/' (the embedded default). */
  | { kind: 'url'; url: string; label: string }
  /** A hub repo id, e.g. 'HuggingFaceTB/SmolLM2-135M'. */
  | { kind: 'hub'; repo: string; revision: string }
  /** Files dropped from disk: a link cannot carry them, so the receiver is asked to drop them too. */
  | { kind: 'local'; label: string };

/**
 * A source kept in this browser's IndexedDB ShardStore ('webift-shards'): a pulled catalogue entry by its
 * datasets-manifest.json id, e.g. { entry: 'dolly' }, or a set the AlpaGasus filter kept, by its store key, e.g.
 * { set: 'filtered/tasks-en-alpagasus4.5.jsonl' }. A link names it; the records themselves never ride along.
 */
export type StoredRef = { entry: string } | { set: string };

export interface DataSourceRef {
  /** Shown in tables, e.g. 'arithmetic-cot.jsonl'. */
  name: string;
  /** A URL on this server or the hub; '' for a dropped file (its text is not part of the link) or a stored source. */
  url: string;
  /** Share of the source's records used, in (0, 1], e.g. 0.5 (1 = all). */
  weight: number;
  /** Present for a pulled or filtered source (then url is ''); absent in links made before it existed. */
  stored?: StoredRef;
}

export interface PeftSettings {
  /** P_TUNING / P_TUNING_LSTM: PEFT's P_TUNING with the MLP or the LSTM prompt encoder (width = hidden size). */
  method: 'LORA' | 'IA3' | 'PROMPT_TUNING' | 'PREFIX_TUNING' | 'P_TUNING' | 'P_TUNING_LSTM' | 'ADALORA';
  /** LoRA rank, e.g. 8. */
  r: number;
  /** LoRA alpha; scaling = alpha / r. e.g. 16. */
  alpha: number;
  /** LoRA dropout in [0, 1), e.g. 0.05. */
  dropout: number;
  /** Module names, e.g. ['q_proj', 'v_proj']. */
  targetModules: string[];
  useRslora: boolean;
  useDora: boolean;
  /** Prompt / prefix / p-tuning: virtual tokens, e.g. 20. */
  virtualTokens: number;
  /** AdaLoRA's rank schedule (alpha, dropout and targetModules are shared with LoRA). Absent in links made before it existed. */
  adalora?: AdaLoraSettings;
}

/** AdaLoRA (PEFT AdaLoraConfig): ranks start at initR per module and are pruned to targetR on average as training runs. */
export interface AdaLoraSettings {
  /** Starting rank per module, e.g. 12. */
  initR: number;
  /** Average rank per module at the end, e.g. 8. */
  targetR: number;
  /** Steps before pruning starts, e.g. 0 (Alpaca-CoT: 200). */
  tinit: number;
  /** Final steps with the rank pattern fixed, e.g. 0 (Alpaca-CoT: 1000). */
  tfinal: number;
  /** Steps between two allocations, e.g. 1 (Alpaca-CoT: 10). */
  deltaT: number;
}

/** PEFT's AdaLoraConfig defaults, used while an experiment has no `adalora` yet. */
export const ADALORA_DEFAULTS: AdaLoraSettings = { initR: 12, targetR: 8, tinit: 0, tfinal: 0, deltaT: 1 };

export interface TrainSettings {
  /** Peak learning rate, e.g. 3e-3 for LoRA on a tiny model. */
  lr: number;
  /** Optimizer steps, e.g. 60. */
  maxSteps: number;
  /** Sequences per micro-batch, e.g. 4. */
  batchSize: number;
  /** Micro-batches per step, e.g. 1. */
  gradAccum: number;
  /** Tokens per example at most, e.g. 128. */
  cutoffLen: number;
  /** Warmup steps, e.g. 5. */
  warmupSteps: number;
  scheduler: 'cosine' | 'linear' | 'constant';
  /** Held-out examples: a share in [0, 1), e.g. 0.05, or a whole count, e.g. 24. */
  evalSplit: number;
  /** Eval every N steps, e.g. 10. */
  evalEvery: number;
  /** Checkpoint every N steps, e.g. 5. */
  checkpointEvery: number;
  /** e.g. 42. */
  seed: number;
  /** 'alpaca' (base models), 'chat' (the tokenizer's template) or 'auto'. */
  promptFormat: 'alpaca' | 'chat' | 'auto';
  trainOnInputs: boolean;
}

/** The frozen base, quantized at load (QLoRA style); the adapter trained on it is an ordinary PEFT adapter. */
export interface QuantizeSettings {
  /** 'none' keeps f32; 'int8' or 'int4' stores the frozen matrices group-quantized (about 9 or 4.5 bits a weight). */
  mode: 'none' | 'int8' | 'int4';
  /** Weights per scale along the input axis, a multiple of 8, e.g. 64 (32-128 is the useful range). */
  groupSize: number;
  /** true: one scale per group; false: a zero point per group too (asymmetric, a little more accurate at int4). */
  symmetric: boolean;
}

export interface GenerationSettings {
  doSample: boolean;
  temperature: number;
  topP: number;
  topK: number;
  repetitionPenalty: number;
  noRepeatNgramSize: number;
  maxNewTokens: number;
  numBeams: number;
  stopStrings: string[];
  seed: number;
}

export interface Experiment {
  version: typeof EXPERIMENT_VERSION;
  /** A short title, e.g. 'Tiny model, synthetic tasks, LoRA'. */
  name: string;
  model: ModelRef;
  data: DataSourceRef[];
  peft: PeftSettings;
  train: TrainSettings;
  generation: GenerationSettings;
  /** Absent in links made before it existed: read as { mode: 'none' }. */
  quantize?: QuantizeSettings;
}

export const EMBEDDED_MODEL_URL = '/models/webift-tiny/';
export const EMBEDDED_DATA_INDEX = '/data/synthetic/index.json';

export function defaultExperiment(): Experiment {
  return {
    version: EXPERIMENT_VERSION,
    name: 'Tiny model, synthetic tasks, LoRA',
    model: { kind: 'url', url: EMBEDDED_MODEL_URL, label: 'webift-tiny (embedded)' },
    data: [],
    peft: { method: 'LORA', r: 8, alpha: 16, dropout: 0.05, targetModules: ['q_proj', 'v_proj'], useRslora: false, useDora: false, virtualTokens: 20 },
    train: { lr: 3e-3, maxSteps: 60, batchSize: 4, gradAccum: 1, cutoffLen: 128, warmupSteps: 5, scheduler: 'cosine', evalSplit: 24, evalEvery: 10, checkpointEvery: 5, seed: 42, promptFormat: 'auto', trainOnInputs: false },
    generation: { doSample: false, temperature: 0.7, topP: 0.9, topK: 50, repetitionPenalty: 1.1, noRepeatNgramSize: 0, maxNewTokens: 48, numBeams: 1, stopStrings: ['### Instruction:'], seed: 0 },
    quantize: { mode: 'none', groupSize: 64, symmetric: true },
  };
}

/** The worker's TrainConfig overrides for these settings (src/train/config.ts names). */
export function trainOverrides(t: TrainSettings): Record<string, unknown> {
  return {
    lr: t.lr, maxSteps: t.maxSteps, batchSize: t.batchSize, gradAccum: t.gradAccum, cutoffLen: t.cutoffLen, warmupSteps: t.warmupSteps,
    scheduler: t.scheduler, evalSplit: t.evalSplit, evalEvery: t.evalEvery, checkpointEvery: t.checkpointEvery, seed: t.seed, keepCheckpoints: 3,
  };
}
