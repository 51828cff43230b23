/**
 * How each weight of a model is held on the device, planned from the config alone: f32 or quantized, whole or in
 * blocks under the device's storage-binding limit, which HF tensor it is read from, and its bytes. The loader follows
 * the plan; memory estimates and tests read it without allocating anything (a 1B model's plan is a few KB).
 * Quantized: every linear / conv1d weight, the token embedding and the lm_head. Never: norms, biases, positions.
 */
import { packedBytes, planBlocks, type Block, type QuantSpec } from '../kernels/packed';
import type { ModelConfig } from './config';
import { expandTable, type WeightKind } from './weights';

/**
 * Largest decoded (f32) size of one quantized block. Decoding holds about three copies of a block at once, so this
 * bounds that transient (wasm heap, GPU) whatever the binding limit; an lm_head decodes block by block.
 */
export const QUANT_BLOCK_BYTES = 64 * 2 ** 20;

export interface LayoutOptions {
  quant: QuantSpec | null;
  /** Largest single storage binding of the device, in bytes (e.g. 128 MiB on a compatibility adapter). */
  maxBindingBytes: number;
}

export interface PlannedWeight {
  ours: string;
  /** The HF tensor it is read from (without the base-prefix fallback); a tied lm_head reads the embedding. */
  hf: string;
  kind: WeightKind;
  /** As held: our [in, out] for matrices, [V, C] for an f32 embedding, [C, V] (head layout) for a quantized or split one. */
  shape: number[];
  /** 'columns': HF row i is our column i (nn.Linear [out, in], a head-layout embedding); 'rows': HF rows are ours. */
  hfRowsAre: 'rows' | 'columns';
  form: 'f32' | 'quantized';
  /** Blocks along `axis`, one when the weight is whole. */
  axis: 0 | 1;
  blocks: Block[];
  /** Device bytes this entry adds (0 when it shares another's storage). */
  bytes: number;
  /** The entry whose storage this one is (a tied lm_head sharing a head-layout embedding). */
  sharedWith: string | null;
  /** Absent from some checkpoints (e.g. llama biases); the loader skips it then. */
  optional: boolean;
}

const f32Bytes = (shape: number[]) => 4 * shape.reduce((a, d) => a * d, 1);

function matrix(ours: string, hf: string, kind: WeightKind, shape: [number, number], hfRowsAre: 'rows' | 'columns', o: LayoutOptions, quantize: boolean, axis: 0 | 1): PlannedWeight {
  const q = quantize ? o.quant : null;
  const sliceBytes = 4 * shape[1 - axis]; // one row (axis 0) or column (axis 1), decoded
  const cap = q ? Math.min(o.maxBindingBytes, QUANT_BLOCK_BYTES) : o.maxBindingBytes;
  const blocks = planBlocks(shape[axis], sliceBytes, cap);
  const bytes = q ? blocks.reduce((s, b) => s + packedBytes(shape[0], b.size, q), 0) : f32Bytes(shape);
  return { ours, hf, kind, shape, hfRowsAre, form: q ? 'quantized' : 'f32', axis, blocks, bytes, sharedWith: null, optional: false };
}

/** The plan for every weight the checkpoint must provide (optional ones included; the loader skips absent ones). */
export function planWeights(config: ModelConfig, o: LayoutOptions): PlannedWeight[] {
  const out: PlannedWeight[] = [];
  const table = expandTable(config);
  const embedHf = table.find((s) => s.ours === 'embed')!.hf;
  const V = config.vocabSize, C = config.hidden;
  for (const s of table) {
    const shape = s.shape(config);
    if (s.ours === 'lm_head.w' && config.tieEmbeddings) continue; // below, from the embedding's plan
    const push = (p: PlannedWeight) => out.push({ ...p, optional: !!s.optional });
    if (s.kind === 'vector' || s.ours === 'pos_embed') {
      push({ ours: s.ours, hf: s.hf, kind: s.kind, shape, hfRowsAre: 'rows', form: 'f32', axis: 0, blocks: [{ start: 0, size: shape[0] }], bytes: f32Bytes(shape), sharedWith: null, optional: false });
    } else if (s.ours === 'embed') {
      // Head layout when quantized (groups along C, as llama.cpp's token_embd) or when a tied table must be split:
      // the lm_head then shares the very same blocks. Otherwise the usual [V, C] table, in row blocks if too big.
      const tooBig = f32Bytes(shape) > o.maxBindingBytes;
      if (o.quant || (tooBig && config.tieEmbeddings)) push(matrix('embed', s.hf, s.kind, [C, V], 'columns', o, !!o.quant, 1));
      else push(matrix('embed', s.hf, s.kind, [V, C], 'rows', o, false, 0));
    } else {
      push(matrix(s.ours, s.hf, s.kind, shape as [number, number], s.kind === 'conv1d' ? 'rows' : 'columns', o, !!o.quant, 1));
    }
  }
  if (config.tieEmbeddings) {
    const e = out.find((p) => p.ours === 'embed')!;
    if (e.hfRowsAre === 'columns') out.push({ ...e, ours: 'lm_head.w', kind: 'linear', bytes: 0, sharedWith: 'embed' });
    else out.push(matrix('lm_head.w', embedHf, 'linear', [C, V], 'columns', o, false, 1)); // the transposed f32 copy
  }
  return out;
}

/** Device bytes of a plan (shared storage counted once). */
export function plannedBytes(plan: PlannedWeight[]): number {
  return plan.reduce((s, p) => s + p.bytes, 0);
}
