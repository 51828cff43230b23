/**
 * The generate worker's API (workers/generate-worker.ts): its own copy of the session's model and tokenizer, named
 * adapters given as PEFT bytes (adapter_config.json + adapter_model.safetensors), and streaming chat replies with
 * the base model or one of those adapters. It runs beside the session worker, so chat works while training runs
 * and a long reply never stalls a step. Types only. Errors: `name` 'DeviceLostError' means restart this worker.
 */
import type { BackendChoice, GenerateDelta, GenerateResult, LoadProgress, ModelInfo, ModelSpec } from './train-api';

export type { GenerateDelta, GenerateResult };

/** A PEFT adapter folder as bytes: what saveAdapter writes and loadAdapter reads. */
export interface AdapterBytes {
  config: string;
  weights: Uint8Array;
}

/**
 * The session's adapter as the session worker last serialised it (between two training steps). `version` changes
 * whenever the weights do; `files` is null when the caller already has this version, or when there is no adapter
 * (version 0). `step` is the optimizer step the bytes come from, null for an imported adapter.
 */
export interface AdapterSnapshot {
  version: number;
  step: number | null;
  files: AdapterBytes | null;
}

export interface ChatParams {
  /** The conversation so far, the last message from the user. */
  messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
  /** A slot given to setAdapter, or null for the base model. */
  adapter: string | null;
  /** GenerationOptions fields (src/generate/options.ts); unknown keys are ignored. */
  options: Record<string, unknown>;
}

export type GenerateApi = {
  backend: { params: Record<string, never>; result: BackendChoice; progress: never };
  /** The same sources as the session worker; the hub files come from the Cache API the session filled. */
  loadModel: { params: ModelSpec; result: ModelInfo; progress: LoadProgress };
  /** Loads PEFT bytes onto the model under `slot` ('current', 'compare', ...), replacing what was there. */
  setAdapter: { params: AdapterBytes & { slot: string }; result: { slot: string; method: string; trainableParams: number }; progress: never };
  /** Frees a slot's adapter; resolves to whether there was one. */
  dropAdapter: { params: { slot: string }; result: boolean; progress: never };
  /** Streams text deltas; abort stops after the current token. */
  generate: { params: ChatParams; result: GenerateResult; progress: GenerateDelta };
};
