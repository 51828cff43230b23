/**
 * Memory model of one training micro-batch: weights (f32, or int8/int4 with group scales), trainable params,
 * gradients, AdamW state, and the activations tfjs keeps for the backward. tfjs frees the tape only when the whole
 * backward ends and keeps every intermediate gradient until then, so without recomputation each layer costs
 * KAPPA x its op-by-op float count per token (calibrated on wasm, tests/train/memory-model.test.ts: within 20%);
 * with recomputation (kernels/checkpoint.ts) only each block's input survives and one block's tape is live at a time.
 * The lm_head + loss run in token chunks (kernels/linear-xent.ts). planMemory picks recomputation and micro-batching.
 * Not modelled: allocator fragmentation (the wasm heap never shrinks), webgpu staging buffers.
 */
import type { ModelConfig } from '../model/config';
import { expandTable, linearModules } from '../model/weights';
import { fusedConfig } from '../model/transformer';
import { defaultChunkTokens } from '../kernels/linear-xent';
import { headSliceWidth } from './loss';

export type MethodSpec =
  | { kind: 'full' }
  /** targets: our module names ('q', 'v', 'up') or PEFT's ('q_proj', 'v_proj'), matched as suffixes. */
  | { kind: 'lora'; r: number; targets: string[]; /** plain LoRA (no DoRA, not AdaLoRA): the fused block takes it */ plain?: boolean }
  | { kind: 'ia3'; targets: string[] }
  /** encoderParams: P-tuning's prompt-encoder weights, trained instead of the n x C virtual tokens themselves. */
  | { kind: 'prompt'; virtualTokens: number; encoderParams?: number }
  | { kind: 'prefix'; virtualTokens: number };

export interface MemoryEstimate {
  /** Frozen + trainable model weights as loaded (f32; a tied head is held twice, as load.ts does). */
  weightsBytes: number;
  trainableParams: number;
  /** Extra trainable tensors besides the weights (adapters, virtual tokens); 0 for full fine-tuning. */
  adapterBytes: number;
  /** Accumulated gradients plus one micro-batch's gradients while they are summed. */
  gradBytes: number;
  /** AdamW m and v. */
  optimizerBytes: number;
  /** Forward intermediates kept for the backward, and the backward's own (x2 in all). */
  activationBytes: number;
  totalBytes: number;
  /**
   * Predicted peak RSS of a Node process (webift train, wasm): RSS_FACTOR x totalBytes + 100 MB (RSS_FACTOR_FUSED
   * where the fused blocks run). The wasm heap never shrinks and fragments, and Node itself takes ~100 MB.
   */
  rssBytes: number;
  /** The biggest single tensor, which must fit the backend's largest buffer. */
  largestBuffer: { bytes: number; what: string };
}

const F32 = 4;
/**
 * Peak RSS over predicted tensor bytes, fitted on the three bench runs (bench/real-models.ts: SmolLM2-135M f32 and
 * int4, Qwen2.5-0.5B int4; within 20%): 1.8 on the generic taped path, whose many short-lived tensors fragment the
 * heap; 1.35 with the fused blocks (measured 1.33, 1.21 and 1.50).
 */
const RSS_FACTOR = 1.8;
const RSS_FACTOR_FUSED = 1.35;

function targetModules(cfg: ModelConfig, targets: string[]) {
  const mods = linearModules(cfg);
  const hit = (m: { ours: string; hf: string }, t: string) => m.ours.endsWith(`.${t}`) || m.hf === t || m.hf.endsWith(`.${t}`);
  for (const t of targets) {
    if (!mods.some((m) => hit(m, t))) throw new Error(`target '${t}' matches no linear module of this ${cfg.family} model (e.g. ${mods.slice(0, 4).map((m) => m.ours).join(', ')})`);
  }
  return mods.filter((m) => targets.some((t) => hit(m, t)));
}

/** Floats kept per token by one decoder layer's forward (attention scores are counted separately). */
function layerFloatsPerToken(cfg: ModelConfig): number {
  const C = cfg.hidden, QD = cfg.heads * cfg.headDim, KVD = cfg.kvHeads * cfg.headDim, I = cfg.intermediate;
  // RMSNorm and RoPE are one kernel each way on wasm and webgpu (kernels/rmsnorm, kernels/rope): only the output is
  // kept. LayerNorm on wasm is still tfjs's ops (x - mean, its square, the normalised x, *w, +b).
  const norm = cfg.normKind === 'rms' ? C : 3 * C;
  const qkv = 2 * (QD + 2 * KVD); // projections + the (B, H, T, D) transposes
  const rope = cfg.posKind === 'rope' ? QD + KVD : 0;
  const attnOut = QD + 2 * C; // transpose back, o projection, residual add
  const mlp = (cfg.mlpKind === 'gated' ? 3 * I : I) + (cfg.act === 'silu' ? 2 * I : 8 * I) + 2 * C; // projections, activation, down, residual
  const sandwich = cfg.family === 'gemma2' ? 2 * norm : 0;
  return 2 * norm + qkv + rope + attnOut + mlp + sandwich;
}

/**
 * Measured tape bytes per op-counted float, per layer, without recomputation (wasm, tfjs 4.22: every intermediate,
 * the clones the tape saves and every intermediate gradient live until the backward ends). Calibrated on two shapes
 * (hidden 128 and SmolLM2's 576) at 64-256 tokens (6.6; 5.8 before the fused RMSNorm and RoPE);
 * tests/train/memory-model.test.ts re-measures several points.
 */
const KAPPA = 6.6;
/**
 * The same with matmuls on the threaded GEMM (kernels/gemm on wasm): their gradients take transpose flags, so the
 * transposed copies of activations and weights are never made (fitted on the same points: 4.8; 4.4 before RMSNorm,
 * RoPE and attention became one kernel each, when the op count per token was larger).
 */
const KAPPA_GEMM = 4.8;
/** Floats per attention score (scores, scale, mask add, softmax, their saves and gradients) on tfjs's ops. */
const SCORE_FLOATS = 10;
/** One block's tape while it is recomputed, relative to a kept layer's (fitted: 0.6; the nested backward frees sooner). */
const RECOMPUTE_SHARE = 0.6;
/**
 * The fused training block (model/fused-block.ts) keeps exactly fusedFloatsPerToken; measured 1.09x that per layer
 * at SmolLM2-135M's shape, 30 layers, b4 x 256 (the rest: the shared mask and RoPE tables, each block's output).
 */
const FUSED_KAPPA = 1.1;
/** Its backward's live temporaries, per token, in units of the MLP width (fitted at 4 and 30 layers: about 14). */
const FUSED_TRANSIENT = 14;

/** Floats the fused block keeps per token: x, q and k after RoPE, v, the attention output, its row stats, x1, gate, up. */
function fusedFloatsPerToken(cfg: ModelConfig): number {
  const C = cfg.hidden, QD = cfg.heads * cfg.headDim, KVD = cfg.kvHeads * cfg.headDim;
  return 2 * C + 2 * QD + 2 * KVD + 2 * cfg.intermediate + 2 * cfg.heads;
}

export interface EstimateOptions {
  /** Gradient checkpointing per block. */
  recompute?: boolean;
  /** Frozen base quantized to int8/int4 with this group size (linear weights and the head; norms stay f32). */
  quant?: { bits: 4 | 8; groupSize: number } | null;
  /**
   * The CPU path's threads run (wasm with cpuThreads > 1): matmuls on the threaded GEMM, which needs no transposed
   * copies, and attention on attention.c, which keeps no (B, H, T, S) scores, only each layer's (B, 1, T, S) mask.
   * Llama-shaped blocks with plain LoRA (or prompt tuning) then train as fused blocks (model/fused-block.ts).
   */
  transposeFree?: boolean;
  /** false: the generic taped blocks run even where fused ones could (objective's fusedBlocks: false). */
  fusedBlocks?: boolean;
}

/** Whether training runs the fused blocks: the CPU path's threads, a Llama-shaped model, and an adapter they take. */
export function fusedTraining(cfg: ModelConfig, method: MethodSpec, transposeFree: boolean): boolean {
  return transposeFree && fusedConfig(cfg) && ((method.kind === 'lora' && method.plain === true) || method.kind === 'prompt');
}

/** Bytes of an [in, out] matrix as stored: f32, or packed codes plus one f32 scale per group and column. */
function matrixBytes(n: number, inDim: number, quant: EstimateOptions['quant']): number {
  if (!quant) return n * F32;
  return (n * quant.bits) / 8 + (n / inDim) * Math.ceil(inDim / quant.groupSize) * F32;
}

export function estimateMemory(cfg: ModelConfig, method: MethodSpec, batch: number, seqLen: number, opts: EstimateOptions = {}): MemoryEstimate {
  const B = batch, T = seqLen, N = B * T, L = cfg.layers, V = cfg.vocabSize, C = cfg.hidden;
  const quant = method.kind === 'full' ? null : opts.quant ?? null;
  let weights = 0, weightBytesTotal = 0, largestWeight = 0;
  for (const s of expandTable(cfg)) {
    if (s.optional || s.ours === 'lm_head.w') continue;
    const shape = s.shape(cfg);
    const n = shape.reduce((a, d) => a * d, 1);
    weights += n;
    const isMatrix = s.kind === 'linear' || s.kind === 'conv1d';
    // A quantized tied embedding shares the head's storage (model/layout.ts); an f32 one is its own table.
    weightBytesTotal += s.kind === 'embedding' && quant && cfg.tieEmbeddings ? 0 : isMatrix ? matrixBytes(n, shape[0], quant) : n * F32;
    largestWeight = Math.max(largestWeight, n);
  }
  weights += V * C; // the head: its own tensor, or (tied) the transposed copy of the embedding that load.ts keeps
  weightBytesTotal += matrixBytes(V * C, C, quant);

  let adapter = 0; // summed over every targeted module of every layer
  if (method.kind === 'lora') {
    for (const m of targetModules(cfg, method.targets)) adapter += method.r * (m.inDim + m.outDim);
  } else if (method.kind === 'ia3') {
    for (const m of targetModules(cfg, method.targets)) adapter += /down|fc2|4h_to_h/.test(m.ours + m.hf) ? m.inDim : m.outDim;
  } else if (method.kind === 'prompt') adapter = method.encoderParams ?? method.virtualTokens * C;
  else if (method.kind === 'prefix') adapter = method.virtualTokens * L * 2 * cfg.kvHeads * cfg.headDim;
  const trainable = method.kind === 'full' ? weights : adapter;
  const extraT = method.kind === 'prompt' || method.kind === 'prefix' ? method.virtualTokens : 0;
  const S = T + extraT; // keys per query
  const Ntok = B * (T + (method.kind === 'prompt' ? extraT : 0));

  const attnScores = B * cfg.heads * T * S;
  const scoreTape = opts.transposeFree ? B * T * S : SCORE_FLOATS * attnScores;
  const layerTape = (opts.transposeFree ? KAPPA_GEMM : KAPPA) * Ntok * layerFloatsPerToken(cfg) + scoreTape; // floats
  // Recomputation only with a frozen head and no KV-cache prefix (objective.ts / transformer.ts).
  const recompute = !!opts.recompute && method.kind !== 'full' && method.kind !== 'prefix';
  const frozenHead = method.kind !== 'full';
  // The head: token chunks of LOGITS_PER_CHUNK logits and dx; a full fine-tune keeps the whole (N, V) logits path
  // (x5: logits, logSoftmax, one-hot int32 + f32, product) and its gradient. Per chunk two (n, V) buffers live (the
  // logits and dz) where a softmax kernel runs (wasm's heap kernel, webgpu's WGSL one), three under tfjs's op chain:
  // a final softcap (Gemma2), or tfjs's cpu backend, which is not sized for real models.
  const chunk = Math.min(N, defaultChunkTokens(V));
  const chunkBuffers = cfg.finalSoftcap ? 3 : 2;
  // A quantized head runs sliced instead (train/loss.ts): vocabulary slices of at least 256 columns, ~4 M logits each.
  const slice = Math.min(V, headSliceWidth(N));
  const head = !frozenHead ? 2 * 5 * N * V : (quant ? 3 * N * slice : chunkBuffers * chunk * V) + 2 * N * C;
  const fused = opts.fusedBlocks !== false && fusedTraining(cfg, method, !!opts.transposeFree);
  const fusedTape = FUSED_KAPPA * Ntok * fusedFloatsPerToken(cfg);
  // Fused: each block's kept floats, its incoming gradient (tfjs keeps those until the backward ends), and one
  // backward's temporaries, which are never live with the head's chunk buffers (the loss ends before the first
  // backward starts): the larger of the two counts. Recomputed: each block's input, and one block live at a time.
  const blocks = fused
    ? recompute ? 2 * L * Ntok * C + fusedTape : L * (fusedTape + Ntok * C)
    : recompute ? 2 * L * Ntok * C + RECOMPUTE_SHARE * layerTape : L * layerTape;
  const transient = fused ? Math.max(head, FUSED_TRANSIENT * Ntok * cfg.intermediate) : head;
  const activations = blocks + transient + 4 * Ntok * C; // + embeddings, final norm

  const weightsBytes = weightBytesTotal, adapterBytes = adapter * F32;
  const gradBytes = 2 * trainable * F32, optimizerBytes = 2 * trainable * F32;
  const activationBytes = activations * F32;
  const candidates: [number, string][] = [
    [(frozenHead ? chunk : N) * V * F32, `logits (${frozenHead ? `${chunk} tokens` : `B×T = ${B}×${T}`} × V = ${V})`],
    opts.transposeFree ? [B * T * S * F32, `the attention mask (B×T×S = ${B}×${T}×${S})`] : [attnScores * F32, `attention scores (B×H×T×S = ${B}×${cfg.heads}×${T}×${S})`],
    [matrixBytes(largestWeight, C, quant), 'the largest weight matrix'],
  ];
  candidates.sort((a, b) => b[0] - a[0]);
  return {
    weightsBytes, trainableParams: trainable, adapterBytes, gradBytes, optimizerBytes, activationBytes,
    totalBytes: weightsBytes + adapterBytes + gradBytes + optimizerBytes + activationBytes,
    rssBytes: (fused ? RSS_FACTOR_FUSED : RSS_FACTOR) * (weightsBytes + adapterBytes + gradBytes + optimizerBytes + activationBytes) + 100 * 2 ** 20,
    largestBuffer: { bytes: candidates[0][0], what: candidates[0][1] },
  };
}

/**
 * The wasm heap holds more than the live tensors: emscripten grows it in 20% steps, never shrinks it, and frees leave
 * holes a bigger tensor cannot use. Measured heap / tensor peak on the three bench runs: 1.49-1.81 (RSS less
 * Node's ~100 MB), so a wasm run's tensors get the heap's size divided by this.
 */
export const WASM_HEAP_FACTOR = 1.7;

/** The tensor bytes a run may plan for on a backend whose memory is `deviceBytes`. */
export function tensorBudget(backend: string, deviceBytes: number): number {
  return backend === 'wasm' ? deviceBytes / WASM_HEAP_FACTOR : deviceBytes;
}

export interface MemoryPlan {
  ok: boolean;
  /** Rows per micro-batch and micro-batches per step: batch × gradAccum is the user's effective batch. */
  batch: number;
  gradAccum: number;
  recompute: boolean;
  estimate: MemoryEstimate;
  /** What was changed and why, or why it cannot fit and what to change. */
  message: string;
}

/**
 * Before a run: accept the settings, or pick recomputation and/or a smaller micro-batch (keeping batch × gradAccum)
 * so the run fits, or refuse and name the setting to change. `recompute` 'on'/'off' is the user's override.
 */
export function planMemory(cfg: ModelConfig, method: MethodSpec, s: { batch: number; gradAccum: number; seqLen: number; recompute: 'auto' | 'on' | 'off'; quant?: EstimateOptions['quant']; transposeFree?: boolean }, maxBufferBytes: number, budgetBytes: number): MemoryPlan {
  const canRecompute = method.kind !== 'full' && method.kind !== 'prefix';
  const tries: { batch: number; recompute: boolean }[] = [];
  const rcOptions = s.recompute === 'on' ? [true] : s.recompute === 'off' || !canRecompute ? [false] : [false, true];
  for (let b = s.batch; b >= 1; b = b > 1 ? Math.ceil(b / 2) : 0) {
    if (s.batch % b !== 0 && b !== 1) continue;
    for (const rc of rcOptions) tries.push({ batch: b, recompute: rc });
    if (b === 1) break;
  }
  const fits = (e: MemoryEstimate) => checkFits(e, maxBufferBytes, budgetBytes, method);
  for (const t of tries) {
    const est = estimateMemory(cfg, method, t.batch, s.seqLen, { recompute: t.recompute, quant: s.quant, transposeFree: s.transposeFree });
    if (!fits(est).ok) continue;
    const accum = s.gradAccum * (s.batch / t.batch);
    const changes = [t.batch !== s.batch ? `micro-batch ${t.batch} × ${accum} accumulated (effective batch ${s.batch * s.gradAccum} kept)` : '', t.recompute && s.recompute === 'auto' ? 'recomputation on' : ''].filter(Boolean);
    const message = `memory: ~${formatGB(est.totalBytes)} predicted of ${formatGB(budgetBytes)}${changes.length ? `; to fit: ${changes.join(', ')}` : ''}`;
    return { ok: true, batch: t.batch, gradAccum: accum, recompute: t.recompute, estimate: est, message };
  }
  const last = tries[tries.length - 1] ?? { batch: 1, recompute: false };
  const est = estimateMemory(cfg, method, last.batch, s.seqLen, { recompute: last.recompute, quant: s.quant, transposeFree: s.transposeFree });
  const why = fits(est);
  const advice = !s.quant && method.kind !== 'full' ? 'lower --cutoff-len, or quantize the base (--quantize int4)' : method.kind === 'full' ? 'lower --cutoff-len, or use LoRA' : 'lower --cutoff-len';
  const message = `${why.ok ? '' : why.message.replace(/: lower.*$/, '')} even at micro-batch 1${canRecompute ? ' with recomputation' : ''}: ${advice}`;
  return { ok: false, batch: last.batch, gradAccum: s.gradAccum * s.batch, recompute: last.recompute, estimate: est, message };
}

/** "1.23 GB" (decimal gigabytes, two decimals). */
export function formatGB(bytes: number): string {
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

export type FitCheck = { ok: true } | { ok: false; message: string };

/**
 * Refuses a run that cannot fit: the total against the device budget, and the largest single buffer against the
 * backend's maxBufferBytes (BackendChoice.maxBufferBytes). The message says what to change.
 */
export function checkFits(est: MemoryEstimate, maxBufferBytes: number, deviceBudgetBytes: number, method?: MethodSpec): FitCheck {
  const advice = method && method.kind !== 'full' ? 'lower batch/cutoff' : 'lower batch/cutoff or use LoRA';
  if (est.totalBytes > deviceBudgetBytes) {
    const parts = `weights ${formatGB(est.weightsBytes)}, gradients + AdamW ${formatGB(est.gradBytes + est.optimizerBytes)}, activations ${formatGB(est.activationBytes)}`;
    return { ok: false, message: `training needs ~${formatGB(est.totalBytes)} (${parts}), the device allows ${formatGB(deviceBudgetBytes)}: ${advice}` };
  }
  if (est.largestBuffer.bytes > maxBufferBytes) {
    return { ok: false, message: `the largest single buffer, ${est.largestBuffer.what}, needs ~${formatGB(est.largestBuffer.bytes)}, the backend allows ${formatGB(maxBufferBytes)} per buffer: lower batch/cutoff` };
  }
  return { ok: true };
}

export class MemoryBudgetError extends Error {
  override name = 'MemoryBudgetError';
}

/** checkFits for callers that prefer an exception (the CLI). */
export function assertFits(est: MemoryEstimate, maxBufferBytes: number, deviceBudgetBytes: number, method?: MethodSpec): void {
  const r = checkFits(est, maxBufferBytes, deviceBudgetBytes, method);
  if (!r.ok) throw new MemoryBudgetError(r.message);
}
