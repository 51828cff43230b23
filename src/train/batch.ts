/**
 * What the trainer consumes: micro-batches of token ids with HF-style labels, from a source with a resumable
 * cursor. Types only; data/ builds the real sources (tokenize, pack, shuffle), tests build small ones.
 * Not here: shuffling, padding or truncation policy (the source decides; the trainer only counts and forwards).
 */

import type { Batch as DataBatch } from '../data/batches';

/**
 * One micro-batch, row-major (B, T): the part of data/'s Batch the trainer reads (ids, HF labels with -100 where
 * nothing is learned, the attention mask), so tests can build batches by hand without the data pipeline's extras.
 */
export type Batch = Pick<DataBatch, 'ids' | 'labels' | 'attentionMask' | 'B' | 'T'>;

/**
 * A resumable stream of micro-batches. One pass = one epoch; the trainer calls startEpoch(e) before each pass after
 * the first. cursor() must capture everything needed to continue exactly where the stream is (epoch, position,
 * shuffle seed) as JSON, and restore(cursor) must bring a fresh source to that point.
 */
export interface BatchSource {
  /** The next micro-batch of this pass, or null when the pass is over. */
  next(): Batch | null;
  /** JSON-serialisable position. */
  cursor(): unknown;
  restore(cursor: unknown): void;
  /** Micro-batches in one pass, when known; sizes the schedule when TrainConfig.maxSteps is null. */
  readonly batchesPerEpoch?: number;
  /** Begins pass `epoch` (0-based) from its start, reshuffling if the source shuffles. Absent: one pass only. */
  startEpoch?(epoch: number): void;
}

/** Real (unpadded) tokens in a batch: what tokens/s counts. */
export function realTokens(b: Batch): number {
  let n = 0;
  for (const m of b.attentionMask) n += m;
  return n;
}

export function checkBatch(b: Batch): void {
  const n = b.B * b.T;
  if (!(b.B >= 1 && b.T >= 1) || b.ids.length !== n || b.labels.length !== n || b.attentionMask.length !== n) {
    throw new Error(`malformed batch: B=${b.B}, T=${b.T} but ids/labels/attentionMask hold ${b.ids.length}/${b.labels.length}/${b.attentionMask.length} values (want B*T = ${n})`);
  }
}
