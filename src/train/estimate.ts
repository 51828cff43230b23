/**
 * Conservative memory estimate of one training micro-batch in f32, and the refusal when it cannot fit: weights,
 * trainable params, gradients, AdamW state and the activations a tfjs backward keeps alive (the tape holds every
 * intermediate of the forward until the backward ends). Counts follow src/model/transformer.ts op by op.
 * Not modelled: allocator fragmentation, webgpu staging buffers, quantized weights (counted as f32).
 */
import type { ModelConfig } from '../model/config';
import { expandTable, linearModules } from '../model/weights';

export type MethodSpec =
  | { kind: 'full' }
  /** targets: our module names ('q', 'v', 'up') or PEFT's ('q_proj', 'v_proj'), matched as suffixes. */
  | { kind: 'lora'; r: number; targets: string[] }
  | { kind: 'ia3'; targets: string[] }
  | { kind: 'prompt'; virtualTokens: number }
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
  /** The biggest single tensor, which must fit the backend's largest buffer. */
  largestBuffer: { bytes: number; what: string };
}

const F32 = 4;
const SAFETY = 1.25;

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
  const norm = 3 * C; // x^2, x*rsqrt, *w
  const qkv = 2 * (QD + 2 * KVD); // projections + the (B, H, T, D) transposes
  const rope = cfg.posKind === 'rope' ? 5.5 * (QD + KVD) : 0; // split halves, neg, concat, *cos, *sin, add
  const attnOut = QD + 2 * C; // transpose back, o projection, residual add
  const mlp = (cfg.mlpKind === 'gated' ? 3 * I : I) + (cfg.act === 'silu' ? 2 * I : 8 * I) + 2 * C; // projections, activation, down, residual
  const sandwich = cfg.family === 'gemma2' ? 2 * norm : 0;
  return 2 * norm + qkv + rope + attnOut + mlp + sandwich;
}

export function estimateMemory(cfg: ModelConfig, method: MethodSpec, batch: number, seqLen: number): MemoryEstimate {
  const B = batch, T = seqLen, N = B * T, L = cfg.layers, V = cfg.vocabSize, C = cfg.hidden;
  let weights = 0, largestWeight = 0;
  for (const s of expandTable(cfg)) {
    if (s.optional || s.ours === 'lm_head.w') continue;
    const n = s.shape(cfg).reduce((a, d) => a * d, 1);
    weights += n;
    largestWeight = Math.max(largestWeight, n);
  }
  weights += V * C; // the head: its own tensor, or (tied) the transposed copy of the embedding that load.ts keeps

  let adapter = 0, adapterActsPerToken = 0; // summed over every targeted module of every layer
  if (method.kind === 'lora') {
    for (const m of targetModules(cfg, method.targets)) {
      adapter += method.r * (m.inDim + m.outDim);
      adapterActsPerToken += method.r + 3 * m.outDim; // x@A, @B, *scaling, + base
    }
  } else if (method.kind === 'ia3') {
    for (const m of targetModules(cfg, method.targets)) {
      adapter += /down|fc2|4h_to_h/.test(m.ours + m.hf) ? m.inDim : m.outDim;
      adapterActsPerToken += m.outDim;
    }
  } else if (method.kind === 'prompt') adapter = method.virtualTokens * C;
  else if (method.kind === 'prefix') adapter = method.virtualTokens * L * 2 * cfg.kvHeads * cfg.headDim;
  const trainable = method.kind === 'full' ? weights : adapter;
  const extraT = method.kind === 'prompt' || method.kind === 'prefix' ? method.virtualTokens : 0;
  const S = T + extraT; // keys per query

  // Forward, per layer: the token-wise intermediates, the (B, H, T, S) scores x4 (scores, *scale, +bias, softmax)
  // and the additive mask. The loss keeps logits, logSoftmax, the one-hot (int32 and f32) and their product: x5.
  const attnScores = B * cfg.heads * T * S;
  const perLayer = N * layerFloatsPerToken(cfg) + 4 * attnScores + B * T * S;
  const logits = N * V;
  // + adapters (all layers), final norm, embeddings, rope tables.
  const forward = L * perLayer + N * adapterActsPerToken + 5 * logits + 3 * N * C + 2 * N * C + 2 * B * T * cfg.headDim;
  // tfjs frees the tape only when the whole backward is done, so the gradients of those intermediates pile up on
  // top of them: measured on cpu, the peak sits at the end of the backward at about twice the forward's bytes.
  // SAFETY covers what is not modelled op by op (broadcast gradients, casts); tests/train/estimate.test.ts checks
  // that measured peaks stay below the estimate.
  const activations = SAFETY * 2 * forward;

  const weightsBytes = weights * F32, adapterBytes = adapter * F32;
  const gradBytes = 2 * trainable * F32, optimizerBytes = 2 * trainable * F32;
  const activationBytes = activations * F32;
  const candidates: [number, string][] = [
    [logits * F32, `logits (B×T×V = ${B}×${T}×${V})`],
    [attnScores * F32, `attention scores (B×H×T×S = ${B}×${cfg.heads}×${T}×${S})`],
    [largestWeight * F32, 'the largest weight matrix'],
  ];
  candidates.sort((a, b) => b[0] - a[0]);
  return {
    weightsBytes, trainableParams: trainable, adapterBytes, gradBytes, optimizerBytes, activationBytes,
    totalBytes: weightsBytes + adapterBytes + gradBytes + optimizerBytes + activationBytes,
    largestBuffer: { bytes: candidates[0][0], what: candidates[0][1] },
  };
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
