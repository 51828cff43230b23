/**
 * The model's data types: weights by our names, the loaded model, forward inputs and outputs, and the linear hook
 * through which peft/ injects adapters without model/ knowing they exist.
 */
import type { Tensor } from '../kernels/tf';
import type { WeightTensor } from '../kernels/qtensor';
import type { PooledKV } from '../kernels/attention/kv-pool';
import type { ModelConfig } from './config';

/**
 * Our weight name -> weight. Linear weights are [in, out]. A frozen matrix may be quantized (QTensor) or split in
 * blocks (SplitWeight) at load; norms and biases are always plain tensors. The embedding is [V, C] as a tensor or
 * row blocks, and [C, V] (head layout, shared with a tied lm_head) as a QTensor or column blocks.
 */
export type Weights = Map<string, WeightTensor>;

export interface Model {
  config: ModelConfig;
  weights: Weights;
  /** RoPE inverse frequencies (rope families), f32. */
  invFreq: Float32Array | null;
  dispose(): void;
}

/**
 * Every projection goes through this. `name` is our module name (e.g. 'layers.3.q'), x is (..., in).
 * The default is x @ w + b; peft/ wraps it to add LoRA / IA3 / DoRA terms.
 */
export interface LinearFn {
  (name: string, x: Tensor, w: WeightTensor, b: Tensor | null): Tensor;
  /**
   * What this hook adds to x @ w + b for module `name`, so that a hand-written block backward (fused-block.ts) can
   * take it. Absent: the hook is opaque, and blocks it touches run on the generic, taped path.
   */
  term?(name: string): LinearTerm;
}

/**
 * One projection's extra term: none; LoRA's s · dropout(x) @ A @ B (A [in, r], B [r, out], dropout by
 * kernels/dropout with this seed, 0 for none); or something the fused block does not know (DoRA, IA3, AdaLoRA).
 */
export type LinearTerm = { kind: 'none' } | { kind: 'lowRank'; a: Tensor; b: Tensor; scaling: number; dropout: number; seed: number } | { kind: 'opaque' };

/** Per-layer key/value cache, (B, Hkv, S, D), holding sequence slots [start, start + S). */
/** A layer's cached keys and values (B, Hkv, slots, D) from slot `start` on: tensors, or a block in the GEMM pool. */
export type LayerCache = TensorLayerCache | PooledLayerCache;

export interface TensorLayerCache {
  k: Tensor;
  v: Tensor;
  start: number;
}

/** The CPU path's threads: slots live in the pool's memory with room to grow (kernels/attention/kv-pool.ts). */
export interface PooledLayerCache {
  pooled: PooledKV;
  start: number;
}

export interface KVCache {
  layers: (LayerCache | null)[];
  /** Sequence slots processed so far (including left padding). */
  length: number;
  /** (B, length) the ids fed so far, when every slot had one (not for virtual slots): ChatGLM-6B's positions need them. */
  ids?: Int32Array;
}

export interface ForwardInputs {
  /** (B, T) token ids, row-major. */
  ids: Int32Array;
  B: number;
  T: number;
  /** (B, past + T) 1 = real token, 0 = padding; default all ones. As HF, it covers cached slots too. */
  attentionMask?: Int32Array;
  /** (B, T) positions; default past..past+T-1 for every row (HF's default without position_ids). */
  positionIds?: Int32Array;
  /** (B, T, C) embeddings to use instead of looking up `ids` (prompt tuning). */
  inputsEmbeds?: Tensor;
}

export interface ForwardOptions {
  linear?: LinearFn;
  cache?: KVCache;
  /** Also return hidden states as HF output_hidden_states: embeddings, each layer but the last, final norm. */
  outputHidden?: boolean;
  /** Compute logits only for the last position (generation): logits are (B, 1, V). */
  lastOnly?: boolean;
  /** Skip the lm_head and return the final-norm hidden state as `hidden` only (chunked losses). */
  skipHead?: boolean;
  /**
   * Training only: recompute each decoder block in the backward instead of keeping its intermediates (gradient
   * checkpointing). Ignored with a KV cache or outputHidden.
   */
  recompute?: boolean;
  /** With recompute: the trainable tensors block i reads besides its own weights (e.g. its LoRA A and B). */
  layerParams?: (layer: number) => Tensor[];
  /**
   * Training on the CPU path's threads: run each eligible block (fused-block.ts) as one custom gradient that keeps
   * only what its hand-written backward reads. Default true; false forces the generic taped block (tests compare).
   */
  fusedBlocks?: boolean;
}

export interface ForwardOutput {
  /** (B, T, V), or (B, 1, V) with lastOnly; absent with skipHead. */
  logits?: Tensor;
  hidden?: Tensor[];
  /** (B, T, C) after the final norm. Present with skipHead. */
  finalHidden?: Tensor;
}
