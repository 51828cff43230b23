/**
 * Training checkpoints: a narrow CheckpointStore interface (memory here; filesystem in node/, IndexedDB beside this
 * file), all passing one contract test, and the encoding of a run's state into one checkpoint: trainable params,
 * AdamW m/v and step counts, the optimizer step, the data cursor, the RNG state and the config.
 * A checkpoint with a non-finite value is never written: snapshotTraining refuses it.
 */
import { tf } from '../kernels/tf';
import type { TrainConfig } from './config';
import type { AdamW, AdamWState, Variable } from './optimizer';
import type { RngState } from './rng';

export interface StoredTensor {
  shape: number[];
  data: Float32Array;
}

export interface Checkpoint {
  /** JSON-serialisable. */
  meta: Record<string, unknown>;
  tensors: Record<string, StoredTensor>;
}

/** Checkpoints by name. save is atomic: after a failed save, the previous checkpoint of that name is intact. */
export interface CheckpointStore {
  save(name: string, ckpt: Checkpoint): Promise<void>;
  /** A copy of the checkpoint, or null when there is none by that name. */
  load(name: string): Promise<Checkpoint | null>;
  /** Names, sorted. */
  list(): Promise<string[]>;
  /** Removes one; no-op when absent. */
  delete(name: string): Promise<void>;
}

export class CheckpointFormatError extends Error {
  override name = 'CheckpointFormatError';
}

/** Names are file- and key-safe: letters, digits, '.', '_', '-', not starting with '.'. */
export function checkCheckpointName(name: string): void {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/.test(name)) {
    throw new CheckpointFormatError(`invalid checkpoint name '${name}': use letters, digits, '.', '_' and '-' (not starting with '.'), e.g. step-00000200`);
  }
}

/** Validates before any store writes: every tensor's data is a Float32Array holding prod(shape) values. */
export function checkCheckpoint(name: string, c: Checkpoint): void {
  checkCheckpointName(name);
  for (const [k, t] of Object.entries(c.tensors)) {
    const n = t.shape.reduce((a, d) => a * d, 1);
    if (!(t.data instanceof Float32Array) || t.data.length !== n) {
      throw new CheckpointFormatError(`checkpoint '${name}': tensor '${k}' has shape [${t.shape}] (${n} values) but ${t.data?.length} values of ${t.data?.constructor?.name}`);
    }
  }
}

/** Deep copy with JSON semantics, so every store returns the same thing for the same meta. */
export function copyCheckpoint(c: Checkpoint): Checkpoint {
  const tensors: Record<string, StoredTensor> = {};
  for (const [k, t] of Object.entries(c.tensors)) tensors[k] = { shape: [...t.shape], data: Float32Array.from(t.data) };
  return { meta: JSON.parse(JSON.stringify(c.meta)), tensors };
}

/** An in-memory store (tests, and a tab that should not touch storage). */
export function memoryCheckpointStore(): CheckpointStore {
  const items = new Map<string, Checkpoint>();
  return {
    async save(name, ckpt) {
      checkCheckpoint(name, ckpt);
      items.set(name, copyCheckpoint(ckpt));
    },
    async load(name) {
      checkCheckpointName(name);
      const c = items.get(name);
      return c ? copyCheckpoint(c) : null;
    },
    async list() {
      return [...items.keys()].sort();
    },
    async delete(name) {
      checkCheckpointName(name);
      items.delete(name);
    },
  };
}

/** Zero-padded, so that name order is step order. */
export function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

const STEP_NAME = /^step-\d{8,}$/;

/** The newest step-N checkpoint in a store, or null. */
export async function latestCheckpoint(store: CheckpointStore): Promise<string | null> {
  const names = (await store.list()).filter((n) => STEP_NAME.test(n));
  return names.length ? names[names.length - 1] : null;
}

/** Deletes the oldest step-N checkpoints beyond `keep`. */
export async function pruneCheckpoints(store: CheckpointStore, keep: number): Promise<void> {
  const names = (await store.list()).filter((n) => STEP_NAME.test(n));
  for (const n of names.slice(0, Math.max(0, names.length - keep))) await store.delete(n);
}

export const TRAIN_CHECKPOINT_FORMAT = 'webift-train-checkpoint/1';

export interface TrainMeta {
  format: typeof TRAIN_CHECKPOINT_FORMAT;
  /** Optimizer steps done. */
  step: number;
  /** 0-based epoch the data cursor is in. */
  epoch: number;
  config: TrainConfig;
  /** BatchSource.cursor() after the last consumed micro-batch. */
  cursor: unknown;
  rng: RngState;
  /** Per-parameter AdamW step counts. */
  optimizerSteps: Record<string, number>;
  /** Real tokens trained on so far. */
  tokens: number;
}

export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
}

function firstNonFinite(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}

/** Reads the run's state into a checkpoint. Throws NonFiniteError if any parameter or moment is NaN/Inf. */
export async function snapshotTraining(
  params: Map<string, Variable>, optimizer: AdamW, meta: Omit<TrainMeta, 'format' | 'optimizerSteps'>,
): Promise<Checkpoint> {
  const tensors: Record<string, StoredTensor> = {};
  for (const [name, v] of params) tensors[`param/${name}`] = { shape: [...v.shape], data: Float32Array.from(await v.data()) };
  const opt = await optimizer.exportState();
  for (const name of Object.keys(opt.steps)) {
    tensors[`adam_m/${name}`] = { shape: [...params.get(name)!.shape], data: opt.m[name] };
    tensors[`adam_v/${name}`] = { shape: [...params.get(name)!.shape], data: opt.v[name] };
  }
  for (const [k, t] of Object.entries(tensors)) {
    const i = firstNonFinite(t.data);
    if (i >= 0) throw new NonFiniteError(`refusing to checkpoint step ${meta.step}: '${k}' holds ${t.data[i]} at index ${i}`);
  }
  const full: TrainMeta = { format: TRAIN_CHECKPOINT_FORMAT, ...meta, optimizerSteps: opt.steps };
  return { meta: full as unknown as Record<string, unknown>, tensors };
}

/** Writes a checkpoint's params into the variables and its moments into the optimizer; returns its meta. */
export function restoreTraining(ckpt: Checkpoint, params: Map<string, Variable>, optimizer: AdamW): TrainMeta {
  const meta = ckpt.meta as unknown as TrainMeta;
  if (meta.format !== TRAIN_CHECKPOINT_FORMAT) throw new CheckpointFormatError(`not a training checkpoint (format ${JSON.stringify(meta.format)}, want ${TRAIN_CHECKPOINT_FORMAT})`);
  const stored = Object.keys(ckpt.tensors).filter((k) => k.startsWith('param/')).map((k) => k.slice(6));
  const missing = [...params.keys()].filter((n) => !stored.includes(n));
  const extra = stored.filter((n) => !params.has(n));
  if (missing.length || extra.length) {
    throw new CheckpointFormatError(`the checkpoint's parameters differ from the trainable ones: missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(extra)}`);
  }
  for (const [name, v] of params) {
    const t = ckpt.tensors[`param/${name}`];
    if (t.shape.join() !== v.shape.join()) throw new CheckpointFormatError(`checkpoint '${name}' is [${t.shape}], the parameter is [${v.shape}]`);
  }
  const opt: AdamWState = { steps: meta.optimizerSteps, m: {}, v: {} };
  for (const name of Object.keys(meta.optimizerSteps)) {
    const m = ckpt.tensors[`adam_m/${name}`], v = ckpt.tensors[`adam_v/${name}`];
    if (!m || !v) throw new CheckpointFormatError(`the checkpoint lacks the AdamW moments of '${name}'`);
    opt.m[name] = m.data;
    opt.v[name] = v.data;
  }
  optimizer.importState(opt);
  for (const [name, v] of params) {
    const t = ckpt.tensors[`param/${name}`];
    const value = tf.tensor(t.data, t.shape, 'float32');
    v.assign(value);
    value.dispose();
  }
  return meta;
}
