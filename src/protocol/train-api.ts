/**
 * The session worker's API (workers/train-worker.ts): one model in memory with its tokenizer, a prepared dataset,
 * one adapter being trained, generation with or without that adapter, exports as bytes, and the browser storage
 * that holds checkpoints and cached files. Types only: the UI imports them without tfjs. Errors come back as
 * RemoteError; `name` 'DeviceLostError' means the worker must be restarted (the last checkpoint is kept).
 */
import type { PeftSettings, QuantizeSettings } from '../experiment/experiment';
import type { BackendChoice } from '../platform/backend';
import type { TrainEvent, TrainSummary } from '../train/trainer';
import type { LoadProgress, ModelFile, ModelSummary } from './model-api';
import type { AdapterSnapshot } from './generate-api';

export type { BackendChoice, LoadProgress, ModelFile, ModelSummary, TrainEvent, TrainSummary };

/** How the frozen base is stored once loaded: the experiment's `quantize` (absent or mode 'none': f32). */
export type QuantizeSpec = QuantizeSettings;

/**
 * Where a model comes from: a folder on this server (the embedded model), the hub, or dropped files; and whether
 * its frozen matrices are quantized as they load (QLoRA style). Another `quantize` means another load.
 */
export type ModelSpec = ({ baseUrl: string; label?: string } | { hub: { repo: string; revision?: string; host?: string }; label?: string } | { files: ModelFile[]; label?: string }) & { quantize?: QuantizeSpec };

export interface ModelInfo extends ModelSummary {
  hasTokenizer: boolean;
  /** 'chat template' when the tokenizer has one, else 'alpaca'. */
  promptFormat: 'chat template' | 'alpaca';
  /** Linear module names PEFT would target, e.g. ['q_proj', 'k_proj', ...]. */
  linearModules: string[];
  /** The frozen base's storage, e.g. 'int4 g64 sym' (with the weight bytes it saved), or absent for f32. */
  quantized?: { label: string; weightBytes: number; f32Bytes: number };
}

/** One source of a data mix: a URL the worker fetches, or a dropped file's text. */
export interface DataSourceSpec {
  name: string;
  url?: string;
  text?: string;
  /** Share of examples drawn from this source, relative to the others (1 = all of it). */
  weight: number;
}

export interface PrepareDataParams {
  sources: DataSourceSpec[];
  cutoffLen: number;
  promptFormat: 'alpaca' | 'chat' | 'auto';
  trainOnInputs: boolean;
}

export interface DataSummary {
  perSource: { name: string; records: number; used: number; rejected: number; firstRejection: string | null }[];
  examples: number;
  totalTokens: number;
  meanLength: number;
  maxLength: number;
  truncated: number;
  histogram: { lo: number; hi: number; count: number }[];
  /** A few records of each source, as the user wrote them (instruction/input/output or messages). */
  preview: { source: string; record: unknown }[];
}

/** The adapter to train: PEFT's method with the fields the UI exposes (the experiment's PEFT settings). */
export type PeftSpec = PeftSettings;

export interface TrainParams {
  peft: PeftSpec;
  /** TrainConfig overrides (see src/train/config.ts); validated by the worker. */
  config: Record<string, unknown>;
  /** Continue from the latest IndexedDB checkpoint instead of starting a fresh adapter. */
  resume: boolean;
  /** The experiment as JSON, kept beside the checkpoints so a reload can offer to resume it. */
  experimentJson: string;
}

export interface EstimateResult {
  totalBytes: number;
  fits: boolean;
  message: string | null;
  trainableParams: number;
  totalSteps: number;
  tokensPerStep: number;
}

export interface GenerateParams {
  /** The conversation so far, the last message from the user. */
  messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
  useAdapter: boolean;
  options: Record<string, unknown>;
}

export interface GenerateDelta {
  text: string;
}

export interface GenerateResult {
  text: string;
  tokens: number;
  finishReason: string;
  promptFormat: string;
  ms: number;
  /** Prompt tokens whose keys and values came from the previous reply of the same model and adapter (0 if none). */
  reusedPromptTokens: number;
}

export type ExportFormat = 'peft' | 'gguf' | 'merged';

export interface ExportResult {
  /** Suggested file name, e.g. 'webift-adapter.zip'. */
  fileName: string;
  mime: string;
  bytes: Uint8Array;
  /** Files inside a zip. */
  files: string[];
}

/** A PEFT adapter as the two files' contents (dropped files, a folder, a zip), or a hub repo to fetch them from. */
export type ImportAdapterParams = { config: string; weights: Uint8Array; label?: string } | { hub: { repo: string; revision?: string; host?: string } };

export interface ImportAdapterResult {
  method: string;
  trainableParams: number;
  /** Where it came from: 'owner/name@main', or the files' label. */
  source?: string;
  /** adapter_config.json's base_model_name_or_path. */
  baseModel?: string | null;
  /** Set when it loaded but names another base model than the loaded one. */
  warning?: string | null;
}

/** Faults a test can inject: the next training step loses the GPU device, or the next checkpoint save hits the quota. */
export type TestFaultKind = 'device-lost' | 'quota-exceeded';

export interface ResumableRun {
  checkpoint: string;
  step: number;
  experimentJson: string | null;
}

export interface StorageItem {
  kind: 'checkpoint' | 'hub-file' | 'run';
  name: string;
  bytes: number;
}

export interface StorageReport {
  items: StorageItem[];
  usageBytes: number | null;
  quotaBytes: number | null;
}

export type TrainApi = {
  backend: { params: Record<string, never>; result: BackendChoice; progress: never };
  loadModel: { params: ModelSpec; result: ModelInfo; progress: LoadProgress };
  prepareData: { params: PrepareDataParams; result: DataSummary; progress: { source: string; done: number; total: number } };
  estimate: { params: { peft: PeftSpec; config: Record<string, unknown> }; result: EstimateResult; progress: never };
  /** Streams every TrainEvent; resolves when the run ends (completed, stopped or failed). */
  train: { params: TrainParams; result: TrainSummary; progress: TrainEvent };
  /** Asks a running train to stop after its current step and save a checkpoint; resolves to whether one ran. */
  stopTraining: { params: Record<string, never>; result: boolean; progress: never };
  /** Holds a running train between two steps (no step runs while paused); resolves to whether it paused. */
  pauseTraining: { params: Record<string, never>; result: boolean; progress: never };
  /** Lets a paused train take its next step; resolves to whether it was paused. Stop works while paused too. */
  continueTraining: { params: Record<string, never>; result: boolean; progress: never };
  /** The adapter as PEFT bytes for the generate worker (while training: as of the last checkpoint or pause). */
  adapterSnapshot: { params: { since: number | null }; result: AdapterSnapshot; progress: never };
  resumable: { params: Record<string, never>; result: ResumableRun | null; progress: never };
  checkpoints: { params: Record<string, never>; result: { name: string; step: number }[]; progress: never };
  generate: { params: GenerateParams; result: GenerateResult; progress: GenerateDelta };
  exportAdapter: { params: { format: ExportFormat }; result: ExportResult; progress: never };
  importAdapter: { params: ImportAdapterParams; result: ImportAdapterResult; progress: never };
  /** Tests only: arms one fault in a worker started with test faults on (see worker-handlers/test-faults.ts). */
  testFault: { params: { kind: TestFaultKind }; result: boolean; progress: never };
  storage: { params: Record<string, never>; result: StorageReport; progress: never };
  deleteStorage: { params: { kind: StorageItem['kind'] | 'all'; name?: string }; result: number; progress: never };
  /**
   * Rates AlpaGasus prompts with this tab's model on `port` (ingest-api.ts RaterPortApi, for the ingest worker's
   * filter) until the call is aborted; one progress event says it is serving. Refused while training runs.
   */
  serveRater: { params: { port: MessagePort }; result: null; progress: { label: string } };
};
