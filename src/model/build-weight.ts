/**
 * Builds one planned weight (layout.ts) from its safetensors tensor, streaming HF rows in chunks of at most
 * `chunkBytes` as f32. A quantized matrix is encoded chunk by chunk, so its f32 form is never whole in memory next to
 * its packed copy; an f32 block is filled from its chunks (transposed where HF rows are our columns), then uploaded.
 * Reads whatever safetensors.ts converts (F32, F16, BF16). GPT-2's small Conv1D matrices are read whole to quantize.
 */
import { tf } from '../kernels/tf';
import { allocPacked, type Block, type MatrixQuantizer } from '../kernels/packed';
import { QTensor, SplitWeight, type WeightBlock, type WeightTensor } from '../kernels/qtensor';
import type { SafetensorsFile } from './safetensors';
import type { PlannedWeight } from './layout';

export interface BuildContext {
  file: SafetensorsFile;
  /** The tensor's name in that file. */
  name: string;
  quantizer: MatrixQuantizer | null;
  chunkBytes: number;
}

/** Calls f for consecutive row ranges [r0, r1) of the HF tensor within [from, to), each at most one chunk. */
async function eachChunk(ctx: BuildContext, rowLen: number, from: number, to: number, f: (rows: Float32Array, r0: number, r1: number) => void): Promise<void> {
  const per = Math.max(1, Math.floor(ctx.chunkBytes / (4 * rowLen)));
  for (let r0 = from; r0 < to; r0 += per) {
    const r1 = Math.min(to, r0 + per);
    f(await ctx.file.rows(ctx.name, r0, r1), r0, r1);
  }
}

async function quantizedBlock(p: PlannedWeight, b: Block, ctx: BuildContext): Promise<QTensor> {
  const q = ctx.quantizer!;
  const [R, Cc] = p.shape;
  const dest = allocPacked(R, b.size, q.spec);
  if (p.hfRowsAre === 'columns') {
    await eachChunk(ctx, R, b.start, b.start + b.size, (rows, r0, r1) => q.encodeColumns(p.ours, dest, r0 - b.start, rows, r1 - r0));
  } else {
    // Conv1D [in, out] is already our layout: gather this block's columns as rows of length `in`.
    const all = await ctx.file.rows(ctx.name, 0, R);
    const cols = new Float32Array(b.size * R);
    for (let r = 0; r < R; r++) for (let j = 0; j < b.size; j++) cols[j * R + r] = all[r * Cc + b.start + j];
    q.encodeColumns(p.ours, dest, 0, cols, b.size);
  }
  // An embedding keeps its packed words on the host: lookups decode there (kernels/embedding.ts).
  return new QTensor(dest, { keepHost: p.ours === 'embed' });
}

async function f32Block(p: PlannedWeight, b: Block, ctx: BuildContext): Promise<tf.Tensor> {
  const [R, Cc] = p.shape;
  const shape = p.axis === 0 ? [b.size, Cc] : [R, b.size];
  const data = new Float32Array(shape[0] * shape[1]);
  const w = shape[1];
  if (p.hfRowsAre === 'columns') {
    if (p.axis !== 1) throw new Error(`${p.ours}: a column-read weight splits along columns only`);
    await eachChunk(ctx, R, b.start, b.start + b.size, (rows, r0, r1) => {
      for (let c = r0; c < r1; c++) for (let r = 0; r < R; r++) data[r * w + (c - b.start)] = rows[(c - r0) * R + r];
    });
  } else if (p.axis === 0) {
    await eachChunk(ctx, Cc, b.start, b.start + b.size, (rows, r0) => data.set(rows, (r0 - b.start) * Cc));
  } else {
    await eachChunk(ctx, Cc, 0, R, (rows, r0, r1) => {
      for (let r = r0; r < r1; r++) data.set(rows.subarray((r - r0) * Cc + b.start, (r - r0) * Cc + b.start + b.size), r * w);
    });
  }
  return tf.tensor(data, shape, 'float32');
}

export async function buildWeight(p: PlannedWeight, ctx: BuildContext): Promise<WeightTensor> {
  if (p.shape.length === 1) return tf.tensor((await ctx.file.float32(ctx.name)).data, p.shape, 'float32');
  const blocks: WeightBlock[] = [];
  try {
    for (const b of p.blocks) blocks.push({ w: p.form === 'quantized' ? await quantizedBlock(p, b, ctx) : await f32Block(p, b, ctx), start: b.start, size: b.size });
  } catch (e) {
    for (const b of blocks) b.w.dispose();
    throw e;
  }
  return blocks.length === 1 ? blocks[0].w : new SplitWeight(p.axis, blocks, p.shape as [number, number]);
}
