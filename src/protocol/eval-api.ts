/**
 * The eval worker's API (workers/eval-worker.ts): its own copy of the session's model and adapter (sent as PEFT
 * bytes, as the generate worker gets them), and the evaluations of src/eval as calls with progress and abort:
 * benchmarks (multiple choice, exact match, perplexity, detected from the file), batch prediction to JSON Lines,
 * and the AlpaGasus pairwise judge with one of three backends. Types only; results are plain data. The API key rides
 * in one `judge` call's params and is held nowhere else. `ablate` trains one adapter per variant on this worker's
 * model (the session's adapter is not touched) and returns the result with its self-contained HTML report.
 */
import type { AblationResult } from '../eval/ablation';
import type { Tally } from '../eval/judge-pairwise';
import type { PredictionLine } from '../eval/predict';
import type { AdapterBytes } from './generate-api';
import type { BackendChoice, LoadProgress, ModelInfo, ModelSpec, PeftSpec } from './train-api';

export type { AblationResult, AdapterBytes, BackendChoice, LoadProgress, ModelInfo, ModelSpec };

/** A file's text as the user picked it (or a test set fetched for them). */
export interface TextFile {
  name: string;
  text: string;
}

export type EvalTaskName = 'multiple-choice' | 'exact-match' | 'perplexity';

export interface EvalProgress {
  /** What runs now: 'multiple-choice', 'predict koala (with adapter)', 'judge', ... */
  phase: string;
  done: number;
  total: number;
  /** Batch prediction only: the lines finished since the last event (kept by the caller to resume). */
  lines?: PredictionRecord[];
}

export interface BenchmarkParams {
  data: TextFile;
  /** Multiple choice: the dev split the k-shot examples come from. */
  dev?: TextFile;
  shots: number;
  /** Score through the session's adapter (setAdapter) or the base model. */
  withAdapter: boolean;
  /** Score only the first N items (0 or absent: all). */
  limit?: number;
}

export interface SubjectScore {
  n: number;
  correct: number;
  accuracy: number;
}

export type BenchmarkResult =
  | { task: 'multiple-choice' | 'exact-match'; reason: string; n: number; correct: number; accuracy: number; bySubject: Record<string, SubjectScore>; skipped: number; jsonl: string }
  | { task: 'perplexity'; reason: string; n: number; tokens: number; loss: number; perplexity: number; jsonl: string };

/** One line of a predictions file: eval/predict.ts's own type. */
export type PredictionRecord = PredictionLine;

export interface PredictParams {
  data: TextFile;
  withAdapter: boolean;
  maxNewTokens: number;
  /** Ids already done (a resumed run): skipped. */
  done?: string[];
  limit?: number;
}

export interface PredictResult {
  generated: number;
  skipped: number;
}

export type JudgeBackendSpec =
  | { kind: 'endpoint'; baseUrl: string; model: string; apiKey: string }
  /** This tab's model (the base weights, greedy). */
  | { kind: 'local' }
  /** An ONNX instruct model through transformers.js, e.g. onnx-community/Qwen2.5-0.5B-Instruct. */
  | { kind: 'transformers'; repo: string };

export type JudgeParams = {
  backend: JudgeBackendSpec;
  /** Questions per test set at most (0 or absent: all). */
  limit?: number;
  /** Judge tokens per answer (the score line comes first). */
  maxNewTokens?: number;
} & (
  /** A = this model with the adapter, B = without, on each test set (answers generated here). */
  | { mode: 'adapter'; sets: TextFile[]; answerTokens: number }
  /** A and B from two predictions files (JSON Lines of PredictionRecord), paired by id. */
  | { mode: 'files'; a: TextFile; b: TextFile }
);

/** Win/tie/lose counts: eval/judge-pairwise.ts's own type. */
export type JudgeTally = Tally;

export interface JudgeResult {
  judge: string;
  summary: JudgeTally & { bySet: Record<string, JudgeTally> };
  /** Every judgement as JSON Lines (both reviews, scores, verdict). */
  jsonl: string;
}

export interface AblateParams {
  /** A title for the report. */
  name: string;
  /** Unified records as JSON Lines, by source name: every source the base or a variant uses. */
  sources: Record<string, string>;
  /** The base recipe's sources, in mix order. */
  base: string[];
  /** One variant each: remove a base source or add another one. */
  changes: ({ without: string } | { with: string })[];
  peft: PeftSpec;
  /** TrainConfig overrides (experiment.ts trainOverrides): seed, steps, lr, evalSplit ... */
  train: Record<string, unknown>;
  promptFormat: 'alpaca' | 'chat' | 'auto';
  trainOnInputs: boolean;
  /** A benchmark file every variant is also scored on (task detected as `benchmark` does). */
  task?: TextFile;
}

export interface AblateResult {
  result: AblationResult;
  /** The report as one self-contained HTML page (inline SVG charts, no scripts). */
  html: string;
}

export type EvalApi = {
  backend: { params: Record<string, never>; result: BackendChoice; progress: never };
  loadModel: { params: ModelSpec; result: ModelInfo; progress: LoadProgress };
  /** The adapter `withAdapter` means; replaces the one there. */
  setAdapter: { params: AdapterBytes; result: { method: string; trainableParams: number }; progress: never };
  benchmark: { params: BenchmarkParams; result: BenchmarkResult; progress: EvalProgress };
  predict: { params: PredictParams; result: PredictResult; progress: EvalProgress };
  judge: { params: JudgeParams; result: JudgeResult; progress: EvalProgress };
  ablate: { params: AblateParams; result: AblateResult; progress: EvalProgress };
};
