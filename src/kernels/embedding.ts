/**
 * Token (and position) embedding lookup for any weight form, kept off the gradient tape (the table is frozen):
 * - an f32 table [V, C]: a device gather;
 * - row blocks of one (SplitWeight axis 0): each block gathers the ids that fall in it, then one reorder;
 * - head layout [C, V] (a QTensor, or column blocks: how a quantized or split tied embedding shares the lm_head's
 *   storage): quantized blocks are decoded on the host for the looked-up columns only, from the packed words the
 *   loader kept (kernels/packed.ts decodeColumn, bit-exact with the device decoder); f32 blocks gather columns.
 */
import * as tf from '@tensorflow/tfjs-core';
import { decodeColumn } from './packed';
import { frozenGather } from './ops';
import { QTensor, SplitWeight, type WeightBlock, type WeightTensor } from './qtensor';

/** Blocks and the axis the vocabulary runs along: 0 for [V, C] tables, 1 for head-layout [C, V]. */
function vocabBlocks(w: WeightTensor): { vocabAxis: 0 | 1; blocks: WeightBlock[] } {
  if (w instanceof SplitWeight) return { vocabAxis: w.axis, blocks: w.blocks };
  if (w instanceof QTensor) return { vocabAxis: 1, blocks: [{ w, start: 0, size: w.shape[1] }] };
  return { vocabAxis: 0, blocks: [{ w, start: 0, size: w.shape[0]! }] };
}

function blockIndex(blocks: WeightBlock[], id: number): number {
  let lo = 0, hi = blocks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (blocks[mid].start <= id) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Quantized head-layout blocks: rows decoded on the host, then one upload (N, C). */
function hostLookup(blocks: WeightBlock[], ids: Int32Array, C: number): tf.Tensor {
  const out = new Float32Array(ids.length * C);
  ids.forEach((id, n) => {
    const b = blocks[blockIndex(blocks, id)];
    const q = b.w as QTensor;
    if (!q.host) throw new Error('embedding lookup: this quantized table kept no host copy (load it with keepHost)');
    decodeColumn(q.host, id - b.start, out, n * C, 1);
  });
  return tf.tensor2d(out, [ids.length, C]);
}

/** f32 blocks: gather each block's ids, concatenate, and put the rows back in token order. (N, C) */
function deviceLookup(blocks: WeightBlock[], vocabAxis: 0 | 1, ids: Int32Array): tf.Tensor {
  if (blocks.length === 1 && vocabAxis === 0) return frozenGather(blocks[0].w as tf.Tensor, tf.tensor1d(ids, 'int32'), 0);
  return tf.tidy(() => {
    const pieces: tf.Tensor[] = [];
    const order = new Int32Array(ids.length);
    let filled = 0;
    blocks.forEach((b, j) => {
      const mine = [...ids.keys()].filter((n) => blockIndex(blocks, ids[n]) === j);
      if (!mine.length) return;
      mine.forEach((n, k) => (order[n] = filled + k));
      filled += mine.length;
      const local = tf.tensor1d(Int32Array.from(mine, (n) => ids[n] - b.start), 'int32');
      const got = frozenGather(b.w as tf.Tensor, local, vocabAxis); // (n, C), or (C, n) in head layout
      pieces.push(vocabAxis === 0 ? got : tf.transpose(got));
    });
    const rows = pieces.length === 1 ? pieces[0] : tf.concat(pieces, 0);
    return tf.gather(rows, tf.tensor1d(order, 'int32'));
  });
}

/** Rows of the embedding for ids laid out as `shape` (e.g. [B, T]): (...shape, C). */
export function embedTokens(w: WeightTensor, ids: Int32Array, shape: number[]): tf.Tensor {
  const { vocabAxis, blocks } = vocabBlocks(w);
  const V = w.shape[vocabAxis]!, C = w.shape[1 - vocabAxis]!;
  for (const id of ids) if (!(id >= 0 && id < V)) throw new RangeError(`embedding lookup: id ${id} is outside [0, ${V})`);
  const quantized = blocks[0].w instanceof QTensor;
  return tf.tidy(() => tf.reshape(quantized ? hostLookup(blocks, ids, C) : deviceLookup(blocks, vocabAxis, ids), [...shape, C]));
}
