/**
 * The model worker's API: backend choice, loading an HF checkpoint (in-memory files or a URL base), and logits.
 * Types only, so the UI can import them without pulling in tfjs or src/model. Arrays are row-major typed arrays.
 * Not here yet: training, generation and data methods (later issues extend this table).
 */
import type { BackendChoice } from '../platform/backend';

export type { BackendChoice };

/** One checkpoint file: `config.json`, `model.safetensors`, shards and `model.safetensors.index.json`. */
export interface ModelFile {
  name: string;
  bytes: ArrayBuffer;
}

export type LoadModelParams =
  /** Files in memory (drag and drop, tests). Pass their buffers in `transfer` to avoid a copy. */
  | { files: ModelFile[]; label?: string }
  /** A folder on a web server: the worker fetches `${baseUrl}/${name}` for each file it needs. */
  | { baseUrl: string; label?: string }
  /** A hub repo (`{host}/{repo}/resolve/{revision}/{file}`), cached in the browser's Cache API. */
  | { hub: { repo: string; revision?: string; host?: string }; label?: string };

export interface LoadProgress {
  /** The file being read. */
  file: string;
  /** Bytes of that file read so far. */
  loaded: number;
  /** Its size in bytes, or null when the server does not say. */
  total: number | null;
}

export interface ModelSummary {
  label: string;
  family: string;
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  vocabSize: number;
  /** Parameter count; a tied lm_head counts once. */
  parameters: number;
}

export interface LogitsParams {
  /** (B, T) token ids. */
  ids: Int32Array;
  B: number;
  T: number;
  /** (B, T) 1 = real token, 0 = padding; default all ones. */
  attentionMask?: Int32Array;
  /** (B, T) positions; default 0..T-1 in every row, as HF without position_ids. */
  positionIds?: Int32Array;
}

export interface LogitsResult {
  /** (B, T, V) float32, transferred. */
  logits: Float32Array;
  shape: [number, number, number];
  /** The backend that computed them. */
  backend: BackendChoice['name'];
  /** Wall time of forward + readback in the worker, in milliseconds. */
  ms: number;
}

export type ModelApi = {
  backend: { params: Record<string, never>; result: BackendChoice; progress: never };
  loadModel: { params: LoadModelParams; result: ModelSummary; progress: LoadProgress };
  logits: { params: LogitsParams; result: LogitsResult; progress: never };
  /** Frees the loaded model's tensors; resolves to whether one was loaded. */
  unloadModel: { params: Record<string, never>; result: boolean; progress: never };
};
