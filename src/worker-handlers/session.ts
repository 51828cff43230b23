/**
 * The session worker's state: the one loaded model with its source, quantization and tokenizer, the prepared
 * examples, the adapter being trained (or imported), and the running train's stop switch. Plain holder plus helpers;
 * the handlers in train-*.ts read and replace its fields. Not here: any tfjs call beyond disposal.
 */
import type { Model } from '../model/types';
import type { ModelSource } from '../model/load';
import type { QuantSpec } from '../quant';
import type { TextTokenizer } from '../tokenizer/tokenizer';
import type { Adapter } from '../peft';
import type { TokenizedExample } from '../data/tokenize-example';
import type { BackendChoice } from '../protocol/train-api';
import { newLiveState, type LiveState } from './train-live';

export interface PreparedData {
  examples: TokenizedExample[];
  /** The settings they were tokenized with; a train with another cutoff re-tokenizes. */
  key: string;
}

export interface Session {
  backend: Promise<BackendChoice>;
  model: Model | null;
  source: ModelSource | null;
  /** How the loaded model's frozen matrices are stored: null for f32, else int8/int4 with its group size. */
  quant: QuantSpec | null;
  tok: TextTokenizer | null;
  data: PreparedData | null;
  adapter: Adapter | null;
  /** Set while train() runs; stopTraining aborts it (the trainer then saves a checkpoint). */
  stop: AbortController | null;
  /** Pause gate and the adapter's PEFT-bytes snapshot, for chat while training (train-live.ts). */
  live: LiveState;
}

export function newSession(backend: Promise<BackendChoice>): Session {
  return { backend, model: null, source: null, quant: null, tok: null, data: null, adapter: null, stop: null, live: newLiveState() };
}

export function userError(message: string, details = ''): Error {
  return Object.assign(new Error(message), { details });
}

export function needModel(s: Session): { model: Model; source: ModelSource } {
  if (!s.model || !s.source) throw userError('No model is loaded yet. Pick a model on the Experiment screen first.');
  return { model: s.model, source: s.source };
}

export function needTokenizer(s: Session): TextTokenizer {
  if (!s.tok) throw userError(`${s.source?.label ?? 'This model'} ships no tokenizer.json, so text cannot be encoded. Pick a model with a tokenizer.`);
  return s.tok;
}

/** Drops the adapter (its variables) and the model's tensors. */
export function disposeModel(s: Session): void {
  s.adapter?.dispose();
  s.adapter = null;
  s.model?.dispose();
  s.model = null;
  s.source = null;
  s.quant = null;
  s.tok = null;
}

/** GPU device loss and out-of-memory: the worker cannot go on; the UI restarts it (checkpoints are in IndexedDB). */
const FATAL = /device (was |is )?lost|GPUDevice.*lost|out of memory|\bOOM\b|Failed to allocate|allocation failed|Array buffer allocation failed|memory access out of bounds/i;

export function asDeviceError(e: unknown, kept: string | null): unknown {
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  if (!FATAL.test(msg)) return e;
  const what = /memory|allocat|OOM/i.test(msg) ? 'ran out of memory' : 'lost its GPU device';
  const err = new Error(`The compute worker ${what} and will restart. ${kept ? `The last checkpoint (${kept}) is kept: press Resume to continue.` : 'No checkpoint was saved yet.'} A smaller batch size or cutoff length needs less memory.`);
  err.name = 'DeviceLostError';
  return Object.assign(err, { details: msg + (e instanceof Error && e.stack ? `\n${e.stack}` : '') });
}
