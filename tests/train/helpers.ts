/**
 * Shared pieces of the train/ tests: an in-memory BatchSource with a JSON cursor (optionally reshuffled per epoch),
 * the llama-gqa fixture model with its weights as tf.Variables (full fine-tuning), its loss, and event collection.
 */
import * as path from 'node:path';
import { tf } from '../../src/kernels/tf';
import { loadModel } from '../../src/model/load';
import { forward } from '../../src/model/transformer';
import type { LinearFn, Model } from '../../src/model/types';
import { folderSource } from '../../src/node/fs-source';
import type { Batch, BatchSource } from '../../src/train/batch';
import { causalLmLoss } from '../../src/train/loss';
import type { Variable } from '../../src/train/optimizer';
import { Rng } from '../../src/train/rng';
import type { LossContext, LossFn } from '../../src/train/step';
import type { TrainEvent } from '../../src/train/trainer';
import { caseDir, flat, inputs } from '../helpers/fixtures';

/** Rows of the llama-gqa fixture batch as one micro-batch (B = rows.length, T = 12). */
export function fixtureBatch(rows: number[] = [0, 1]): Batch {
  const inp = inputs('llama-gqa');
  const pick = (m: number[][]) => flat(rows.map((r) => m[r]));
  return { ids: pick(inp.input_ids), labels: pick(inp.labels), attentionMask: pick(inp.attention_mask), B: rows.length, T: 12 };
}

/** Passes over `batches`; with `shuffleSeed`, each epoch's order is a seeded permutation (so the cursor must hold the epoch). */
export function arraySource(batches: Batch[], shuffleSeed?: number): BatchSource & { pos: number; epoch: number } {
  const order = (epoch: number) => {
    const idx = batches.map((_, i) => i);
    if (shuffleSeed === undefined) return idx;
    const rng = new Rng(shuffleSeed + epoch);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = rng.nextU32() % (i + 1);
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    return idx;
  };
  let perm = order(0);
  return {
    pos: 0,
    epoch: 0,
    batchesPerEpoch: batches.length,
    next() {
      return this.pos < batches.length ? batches[perm[this.pos++]] : null;
    },
    cursor() {
      return { epoch: this.epoch, pos: this.pos };
    },
    restore(c) {
      const { epoch, pos } = c as { epoch: number; pos: number };
      this.epoch = epoch;
      this.pos = pos;
      perm = order(epoch);
    },
    startEpoch(e) {
      this.restore({ epoch: e, pos: 0 });
    },
  };
}

/** The llama-gqa fixture model with EVERY weight replaced by a trainable tf.Variable (full fine-tuning). */
export async function trainableLlama(): Promise<{ model: Model; params: Map<string, Variable> }> {
  const model = await loadModel(folderSource(path.join(caseDir('llama-gqa'), 'model')));
  const params = new Map<string, Variable>();
  for (const [name, t] of model.weights) {
    const v = tf.variable(t as tf.Tensor, true);
    t.dispose();
    model.weights.set(name, v);
    params.set(name, v);
  }
  return { model, params };
}

/** causalLmLoss of the forward; `linear` lets a test inject e.g. dropout. */
export function llamaLoss(model: Model, linear?: (ctx: LossContext) => LinearFn): LossFn {
  return (b, ctx) => {
    const out = forward(model, { ids: b.ids, B: b.B, T: b.T, attentionMask: b.attentionMask }, linear ? { linear: linear(ctx) } : {});
    return causalLmLoss(out.logits!, b.labels);
  };
}

/** Inverted dropout (p) on the input of one module, its mask drawn from ctx.rng: exercises the checkpointed RNG. */
export function dropoutOn(module: string, p: number): (ctx: LossContext) => LinearFn {
  return (ctx) => (name, x, w, b) => {
    let h = x;
    if (ctx.training && name === module) {
      const mask = new Float32Array(x.size);
      for (let i = 0; i < mask.length; i++) mask[i] = ctx.rng.next() < p ? 0 : 1 / (1 - p);
      h = tf.mul(x, tf.tensor(mask, x.shape));
    }
    const y = tf.matMul(tf.reshape(h, [-1, w.shape[0]]), w as tf.Tensor2D);
    return tf.reshape(b ? tf.add(y, b) : y, [...x.shape.slice(0, -1), w.shape[1]!]);
  };
}

export async function collect(gen: AsyncGenerator<TrainEvent, unknown>, onEvent?: (e: TrainEvent) => void): Promise<TrainEvent[]> {
  const out: TrainEvent[] = [];
  for await (const e of gen) {
    out.push(e);
    onEvent?.(e);
  }
  return out;
}

export function stepLosses(events: TrainEvent[]): number[] {
  return events.flatMap((e) => (e.kind === 'step' ? [e.loss] : []));
}

/** A clock that advances `ms` per call. */
export function fakeClock(ms = 100): () => number {
  let t = 0;
  return () => (t += ms);
}
