/**
 * One optimizer step with gradient accumulation, generic over a named set of tf.Variables and a micro-batch loss.
 * Scaling follows HF Trainer: each micro-batch's mean loss is divided by n (the micro-batches in this step) before
 * its backward, and the gradients are summed, so the step's gradient is that of mean_i(loss_i) and the reported loss
 * is mean_i(loss_i): a mean of per-micro-batch means, not a token-weighted mean over the step.
 * Then: global norm, clipping (clip_grad_norm_), AdamW, and an optional hook that still sees the step's gradients
 * (AdaLoRA's rank allocation). A non-finite loss or norm skips the update (and the hook) entirely.
 */
import { addNChunked } from '../kernels/many-inputs';
import { tf, tidy, type Tensor } from '../kernels/tf';
import { checkBatch, realTokens, type Batch } from './batch';
import { clipGradNorm, type AdamW, type Variable } from './optimizer';
import type { Rng } from './rng';

export interface LossContext {
  /** Seeded randomness for dropout and the like; its state is checkpointed. */
  rng: Rng;
  /** false during evaluation: no dropout. */
  training: boolean;
}

/** The scalar mean loss of one micro-batch, built from the trainable variables (e.g. causalLmLoss of a forward). */
export type LossFn = (batch: Batch, ctx: LossContext) => Tensor;

export interface StepInput {
  params: Map<string, Variable>;
  optimizer: AdamW;
  loss: LossFn;
  /** 1..gradAccum micro-batches. */
  microBatches: Batch[];
  lr: number;
  /** 0 = no clipping. */
  maxGradNorm: number;
  rng: Rng;
  /** Runs after the optimizer update with this step's (clipped) gradients by param name, before they are freed. */
  afterUpdate?: (grads: Map<string, Tensor>) => Promise<void> | void;
}

export interface StepResult {
  /** mean over micro-batches of each one's mean loss. */
  loss: number;
  /** Global gradient 2-norm before clipping. */
  gradNorm: number;
  /** Real tokens processed (attention mask ones). */
  tokens: number;
  /** false when the loss or the norm was not finite: the parameters and optimizer state are untouched. */
  applied: boolean;
}

export async function trainStep(s: StepInput): Promise<StepResult> {
  const n = s.microBatches.length;
  if (n === 0) throw new Error('trainStep needs at least one micro-batch');
  const names = [...s.params.keys()];
  const byVarName = new Map(names.map((k) => [s.params.get(k)!.name, k]));
  const varList = names.map((k) => s.params.get(k)!);
  const grads = new Map<string, Tensor>();
  const losses: Tensor[] = [];
  let tokens = 0;
  try {
    for (const b of s.microBatches) {
      checkBatch(b);
      tokens += realTokens(b);
      // HF: loss = loss / gradient_accumulation_steps, then backward; the 1/n flows into every gradient.
      const { value, grads: g } = tf.variableGrads(() => tf.div(s.loss(b, { rng: s.rng, training: true }), n) as tf.Scalar, varList);
      losses.push(value);
      for (const [varName, gi] of Object.entries(g)) {
        const key = byVarName.get(varName)!;
        const acc = grads.get(key);
        if (acc) {
          grads.set(key, tf.add(acc, gi));
          acc.dispose();
          gi.dispose();
        } else grads.set(key, gi);
      }
    }
    // One loss per micro-batch: gradAccum of them (32 by default), more than a WebGPU kernel may bind at once.
    const lossT = addNChunked(losses);
    const loss = (await lossT.data())[0];
    lossT.dispose();
    const gradNorm = await clipGradNorm(grads, s.maxGradNorm > 0 ? s.maxGradNorm : 0);
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) return { loss, gradNorm, tokens, applied: false };
    s.optimizer.step(grads, s.lr);
    await s.afterUpdate?.(grads);
    return { loss, gradNorm, tokens, applied: true };
  } finally {
    for (const t of losses) t.dispose();
    for (const g of grads.values()) g.dispose();
  }
}

/** Mean loss over a source's micro-batches without gradients, weighted by rows (HF's evaluation loss). */
export async function evaluate(loss: LossFn, batches: Iterable<Batch>, rng: Rng): Promise<number> {
  let sum = 0, rows = 0;
  for (const b of batches) {
    checkBatch(b);
    const t = tidy(() => loss(b, { rng, training: false }));
    const v = (await t.data())[0];
    t.dispose();
    sum += v * b.B;
    rows += b.B;
  }
  if (rows === 0) throw new Error('the eval set is empty');
  return sum / rows;
}
