/**
 * x @ W for a frozen W that is quantized (QTensor) or split in blocks (SplitWeight), as one tf.customGrad: the
 * forward decodes one block at a time, y = concat_j x @ W_j (column blocks) or Σ_j x[:, rows_j] @ W_j (row blocks),
 * and the backward decodes them AGAIN, straight into Wᵀ: dx = Σ_j dy[:, cols_j] @ W_jᵀ (or concat_j dy @ W_jᵀ). No
 * decoded block outlives its product, so the tape never holds one, and no gradient reaches W: the base stays frozen.
 * Transposes are materialised so the products run without transpose flags (ENVIRONMENT.md pitfall 5). On webgpu
 * neither copy is made: each block's product runs in frozen-matmul/, which reads a QTensor's packed words (or an f32
 * block) in place in both directions; on wasm a product of a few rows (decode) reads a QTensor packed on the GEMM pool
 * (gemm/quant-rows.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { dense, QTensor, releaseDense, type SplitWeight, type WeightBlock } from './qtensor';
import { frozenMatmulWebGpu, qmatmulWebGpu } from './frozen-matmul/frozen-matmul';
import { quantRowsWasm } from './gemm/quant-rows';

function blocksOf(w: QTensor | SplitWeight): { axis: 0 | 1; blocks: WeightBlock[] } {
  return 'blocks' in w ? { axis: w.axis, blocks: w.blocks } : { axis: 1, blocks: [{ w, start: 0, size: w.shape[1] }] };
}

/** Runs f on the f32 form of block w, freeing the decoded copy (never w) as soon as f returns. */
function withDense(w: tf.Tensor | QTensor, f: (d: tf.Tensor) => tf.Tensor): tf.Tensor {
  const d = dense(w);
  try {
    return f(d);
  } finally {
    releaseDense(d, w);
  }
}

function sumInto(acc: tf.Tensor | null, t: tf.Tensor): tf.Tensor {
  if (!acc) return t;
  const s = tf.add(acc, t);
  acc.dispose();
  t.dispose();
  return s;
}

function concatFree(parts: tf.Tensor[]): tf.Tensor {
  if (parts.length === 1) return parts[0];
  const out = tf.concat(parts, 1);
  tf.dispose(parts);
  return out;
}

/**
 * x @ W for one block: the webgpu kernel when there is one, or on wasm a few rows against a quantized W read packed
 * on the GEMM pool (decode); else decode, multiply, free.
 */
function times(x: tf.Tensor, w: tf.Tensor | QTensor): tf.Tensor {
  const fused = w instanceof QTensor ? (qmatmulWebGpu(x, w.deviceParts()) ?? quantRowsWasm(x, w.deviceParts())) : frozenMatmulWebGpu(x, w);
  return fused ?? withDense(w, (d) => tf.matMul(x, d));
}

function forwardBlocks(x: tf.Tensor, w: QTensor | SplitWeight): tf.Tensor {
  const { axis, blocks } = blocksOf(w);
  if (axis === 1) return concatFree(blocks.map((b) => times(x, b.w)));
  let y: tf.Tensor | null = null;
  for (const b of blocks) {
    const xs = tf.slice(x, [0, b.start], [-1, b.size]);
    y = sumInto(y, times(xs, b.w));
    xs.dispose();
  }
  return y!;
}

/**
 * g @ Wᵀ for one block: on webgpu the kernel reads W in place; elsewhere a QTensor decodes straight into the
 * transposed layout, a tensor is transposed first.
 */
function timesTransposed(g: tf.Tensor, w: tf.Tensor | QTensor): tf.Tensor {
  const fused = w instanceof QTensor ? qmatmulWebGpu(g, w.deviceParts(), true) : frozenMatmulWebGpu(g, w, true);
  if (fused) return fused;
  const t = w instanceof QTensor ? w.dequantizeT() : tf.transpose(w);
  const r = tf.matMul(g, t);
  t.dispose();
  return r;
}

/** dy (N, out) @ Wᵀ -> (N, in) for a frozen quantized or split W: frozenMatmul's gradient, without a tape. */
export function frozenMatmulGrad(dy: tf.Tensor, w: QTensor | SplitWeight): tf.Tensor {
  return backwardBlocks(dy, w);
}

function backwardBlocks(dy: tf.Tensor, w: QTensor | SplitWeight): tf.Tensor {
  const { axis, blocks } = blocksOf(w);
  if (axis === 0) return concatFree(blocks.map((b) => timesTransposed(dy, b.w)));
  let dx: tf.Tensor | null = null;
  for (const b of blocks) {
    const g = blocks.length === 1 ? dy : tf.slice(dy, [0, b.start], [-1, b.size]);
    dx = sumInto(dx, timesTransposed(g, b.w));
    if (g !== dy) g.dispose();
  }
  return dx!;
}

/** x (N, in) @ W [in, out] -> (N, out) for a frozen quantized or split W; the gradient flows to x only. */
export function frozenMatmul(x: tf.Tensor, w: QTensor | SplitWeight): tf.Tensor {
  // No tape (generation, evaluation): the custom gradient would only add a scope, 211 a decoded token for SmolLM2.
  if (!tf.engine().isTapeOn()) return forwardBlocks(x, w);
  const f = tf.customGrad(((xi: tf.Tensor) => ({
    value: forwardBlocks(xi, w),
    // w is captured, not created in the forward, so customGrad's disposal of captured intermediates spares it.
    gradFunc: (dy: tf.Tensor) => backwardBlocks(dy, w),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as tf.Tensor;
}
