/**
 * AdaLoRA's budget allocation as peft 0.13's RankAllocator + AdaLoraModel.update_and_allocate, called after each
 * optimizer step with that step's gradients (PEFT's loop: backward, optimizer.step, update_and_allocate(global_step),
 * zero_grad; global_step counts from 0). Per parameter p of A, E, B: sensitivity I = |p ⊙ ∇p|, smoothed
 * Ī ← β1 Ī + (1−β1) I and uncertainty Ū ← β2 Ū + (1−β2) |I − Ī|, element score s = Ī Ū. Rank i of a module scores
 * s_E[i] + mean_in s_A[i, :] + mean_out s_B[:, i]; the cubic schedule sets the budget b(t) and every rank scoring at or
 * below the (init_bgt − b)-th smallest score gets E[i] = 0. A and B are kept; ranknum is never changed.
 * The moving averages live on the device (one tensor per parameter); only the r scores per module are read back.
 */
import { tf, type Tensor } from '../kernels/tf';
import { PeftConfigError, type AdaLoraConfig } from './config';
import type { AdaLoraModule, Adapter } from './adapter';
import { adaloraKeys, rankPatternKey } from './adalora';

export interface Allocation {
  /** The budget b(t): ranks kept over all modules after this step. */
  budget: number;
  /** Whether this step masked (a budget step, or the forced one at total_step − tfinal). */
  masked: boolean;
  /** Triplet scores by module name (ours), when masked. */
  scores?: Map<string, Float32Array>;
  threshold?: number;
}

/** The budget schedule: (budget, mask now?) at a step, as RankAllocator.budget_schedule. */
export function budgetSchedule(c: AdaLoraConfig, initBgt: number, targetBgt: number, step: number): { budget: number; mask: boolean } {
  const total = totalStep(c);
  if (step <= c.tinit) return { budget: initBgt, mask: false };
  if (step > total - c.tfinal) return { budget: targetBgt, mask: true };
  const mul = 1 - (step - c.tinit) / (total - c.tfinal - c.tinit);
  return { budget: Math.trunc((initBgt - targetBgt) * mul ** 3 + targetBgt), mask: step % c.deltaT === 0 };
}

function totalStep(c: AdaLoraConfig): number {
  if (c.total_step === null) throw new Error('AdaLoRA needs total_step (the run\'s optimizer steps) before the rank allocation');
  return c.total_step;
}

/**
 * The allocator for a training run of `adapter`, or null when it is not AdaLoRA. A config without total_step gets
 * the run's optimizer steps (PEFT asks the user to set it; its example sets len(dataloader) * epochs).
 */
export function adaloraStepHook(adapter: Adapter | null, runSteps: number): RankAllocator | null {
  if (!adapter || adapter.method !== 'ADALORA') return null;
  const c = adapter.config as AdaLoraConfig;
  const total = c.total_step ?? runSteps;
  if (!(c.tinit + c.tfinal < total)) throw new PeftConfigError(`AdaLoRA: tinit + tfinal (${c.tinit} + ${c.tfinal}) must be less than total_step (${total}${c.total_step === null ? ', the run\'s steps' : ''}), or no step is left to allocate ranks`);
  adapter.config = { ...c, total_step: total };
  return new RankAllocator(adapter);
}

export class RankAllocator {
  private readonly modules: [string, AdaLoraModule][];
  private readonly avgIpt = new Map<string, Tensor>();
  private readonly avgUnc = new Map<string, Tensor>();
  /** Σ init ranks over the modules; the final budget is target_r per module. */
  readonly initBgt: number;
  readonly targetBgt: number;

  constructor(private readonly adapter: Adapter) {
    if (adapter.method !== 'ADALORA') throw new Error(`the rank allocator is for AdaLoRA adapters, not ${adapter.method}`);
    this.modules = [...adapter.modules].filter((e): e is [string, AdaLoraModule] => e[1].kind === 'adalora');
    const resized = this.modules.find(([, m]) => m.r !== m.initR);
    if (resized) throw new Error(`AdaLoRA: '${resized[1].hf}' was loaded resized to ${resized[1].r} of ${resized[1].initR} ranks; the rank allocation only runs on a fresh adapter (PEFT loads such adapters for inference)`);
    this.initBgt = this.modules.reduce((a, [, m]) => a + m.r, 0);
    this.targetBgt = this.config.target_r * this.modules.length;
  }

  private get config(): AdaLoraConfig {
    return this.adapter.config as AdaLoraConfig;
  }

  /** Update the EMAs from the gradients, keyed like adapter.params (our layout). */
  private updateIpt(grads: Map<string, Tensor>): void {
    const { beta1, beta2 } = this.config;
    for (const [, m] of this.modules) {
      const keys = adaloraKeys(m.hf);
      for (const [key, p] of [[keys.a, m.a], [keys.e, m.e], [keys.b, m.b]] as const) {
        const g = grads.get(key);
        if (!g) throw new Error(`AdaLoRA allocation: no gradient for '${key}'`);
        const prevIpt = this.avgIpt.get(key), prevUnc = this.avgUnc.get(key);
        const [ipt, unc] = tf.tidy(() => {
          const sens = tf.abs(tf.mul(p, g)); // I = |p ⊙ ∇p|
          const avg = tf.add(tf.mul(prevIpt ?? tf.zerosLike(p), beta1), tf.mul(sens, 1 - beta1));
          const u = tf.add(tf.mul(prevUnc ?? tf.zerosLike(p), beta2), tf.mul(tf.abs(tf.sub(sens, avg)), 1 - beta2));
          return [avg, u];
        });
        prevIpt?.dispose();
        prevUnc?.dispose();
        this.avgIpt.set(key, ipt);
        this.avgUnc.set(key, unc);
      }
    }
  }

  /** Triplet scores per module: s_E + mean over in of s_A + mean over out of s_B, each (r). */
  private async tripletScores(): Promise<Map<string, Float32Array>> {
    const s = (k: string) => tf.mul(this.avgIpt.get(k)!, this.avgUnc.get(k)!);
    const t = tf.tidy(() => tf.concat(this.modules.map(([, m]) => {
      const k = adaloraKeys(m.hf);
      if (!this.avgIpt.has(k.a)) throw new Error('AdaLoRA allocation: no importance scores yet (a masking step needs at least one update)');
      // ours: A [in, r] (mean over axis 0), E [1, r], B [r, out] (mean over axis 1)
      return tf.add(tf.reshape(s(k.e), [-1]), tf.add(tf.mean(s(k.a), 0), tf.mean(s(k.b), 1)));
    })));
    const all = (await t.data()) as Float32Array;
    t.dispose();
    const out = new Map<string, Float32Array>();
    let at = 0;
    for (const [name, m] of this.modules) {
      out.set(name, all.slice(at, at + m.r));
      at += m.r;
    }
    return out;
  }

  /** mask_to_budget: zero E where the triplet score is ≤ the (init_bgt − budget)-th smallest; returns the rank pattern. */
  private async maskToBudget(budget: number): Promise<{ scores: Map<string, Float32Array>; threshold: number; pattern: Record<string, boolean[]> }> {
    const scores = await this.tripletScores();
    const k = this.initBgt - budget;
    // torch.kthvalue(k) = the k-th smallest; k = 0 (budget = init_bgt, e.g. target_r = init_r) masks nothing.
    const sorted = Float32Array.from([...scores.values()].flatMap((s) => [...s])).sort();
    const threshold = k >= 1 ? sorted[Math.min(k, sorted.length) - 1] : -Infinity;
    const pattern: Record<string, boolean[]> = {};
    for (const [name, m] of this.modules) {
      const keep = [...scores.get(name)!].map((v) => !(v <= threshold));
      this.applyMask(m, keep);
      pattern[rankPatternKey(m.hf)] = keep;
    }
    return { scores, threshold, pattern };
  }

  private applyMask(m: AdaLoraModule, keep: boolean[]): void {
    tf.tidy(() => m.e.assign(tf.mul(m.e, tf.tensor2d(keep.map(Number), [1, m.r]))));
  }

  /**
   * AdaLoraModel.update_and_allocate(global_step), global_step being the 0-based index of the step just taken.
   * Before total_step − tfinal: update the scores, and mask to the scheduled budget every deltaT steps; at it: mask to
   * the target budget (forced) and reset the scores; after it: re-apply the saved rank pattern. The rank pattern
   * goes into adapter.config.rank_pattern (PEFT's lora_config.rank_pattern), so that a save resizes the adapter.
   */
  async updateAndAllocate(globalStep: number, grads: Map<string, Tensor>): Promise<Allocation> {
    const c = this.config;
    const end = totalStep(c) - c.tfinal;
    if (globalStep > end) {
      if (c.rank_pattern) for (const [, m] of this.modules) this.applyMask(m, c.rank_pattern[rankPatternKey(m.hf)] ?? new Array(m.r).fill(true));
      return { budget: this.targetBgt, masked: false };
    }
    if (globalStep < end) this.updateIpt(grads);
    const { budget, mask } = budgetSchedule(c, this.initBgt, this.targetBgt, globalStep);
    if (!mask && globalStep < end) return { budget, masked: false };
    const { scores, threshold, pattern } = await this.maskToBudget(budget);
    this.adapter.config = { ...c, rank_pattern: pattern };
    if (globalStep === end) this.reset();
    return { budget, masked: true, scores, threshold };
  }

  /** The trainer's StepHook (train/trainer.ts): allocation after each optimizer step. */
  async afterStep(step: number, grads: Map<string, Tensor>): Promise<void> {
    await this.updateAndAllocate(step, grads);
  }

  /** The moving averages and the rank pattern, for a training checkpoint. */
  async saveState(): Promise<{ meta: Record<string, unknown>; tensors: Record<string, { shape: number[]; data: Float32Array }> }> {
    const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [prefix, m] of [['ipt', this.avgIpt], ['unc', this.avgUnc]] as const) {
      for (const [k, t] of m) tensors[`adalora_${prefix}/${k}`] = { shape: [...t.shape], data: Float32Array.from((await t.data()) as Float32Array) };
    }
    return { meta: { rank_pattern: this.config.rank_pattern }, tensors };
  }

  /** Puts back what saveState wrote (a resumed run then allocates as an uninterrupted one). */
  restoreState(state: { meta: Record<string, unknown>; tensors: Record<string, { shape: number[]; data: Float32Array }> }): void {
    this.reset();
    for (const [k, t] of Object.entries(state.tensors)) {
      const m = /^adalora_(ipt|unc)\/(.+)$/.exec(k);
      if (!m) continue;
      const p = this.adapter.params.get(m[2]);
      if (!p || p.shape.join() !== t.shape.join()) throw new Error(`the checkpoint's AdaLoRA scores for '${m[2]}' do not fit this adapter`);
      (m[1] === 'ipt' ? this.avgIpt : this.avgUnc).set(m[2], tf.tensor(t.data, t.shape, 'float32'));
    }
    const rp = state.meta.rank_pattern as AdaLoraConfig['rank_pattern'] | undefined;
    this.adapter.config = { ...this.config, rank_pattern: rp ?? null };
  }

  /** Frees the moving averages (reset_ipt). */
  reset(): void {
    tf.dispose([...this.avgIpt.values(), ...this.avgUnc.values()]);
    this.avgIpt.clear();
    this.avgUnc.clear();
  }

  dispose(): void {
    this.reset();
  }
}
