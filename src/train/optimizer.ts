/**
 * AdamW with torch.optim.AdamW's numerics (torch 1.13 `_single_tensor_adamw`, non-amsgrad), op for op in f32,
 * and gradient clipping as torch.nn.utils.clip_grad_norm_. Generic over any named set of tf.Variables.
 * State (m, v, per-parameter step) round-trips through plain Float32Arrays for checkpoints.
 * Not here: amsgrad, maximize, foreach/fused variants, parameter groups beyond a decay/no-decay split.
 */
import { stackChunked } from '../kernels/many-inputs';
import { tf, tidy, type Tensor } from '../kernels/tf';

export type Variable = tf.Variable;

export interface AdamWOptions {
  /** (beta1, beta2), e.g. [0.9, 0.999]. */
  betas: [number, number];
  /** e.g. 1e-8. */
  eps: number;
  /** Decoupled weight decay, e.g. 0.01. */
  weightDecay: number;
  /** Which parameters decay; default: all but biases and norm weights (HF Trainer's groups). */
  decays?: (name: string) => boolean;
}

/** HF Trainer decays every parameter except biases and LayerNorm/RMSNorm weights. Our names: `*.b`, `*norm*`. */
export function defaultDecays(name: string): boolean {
  return !(/(^|\.)(b|bias)$/.test(name) || /norm/.test(name));
}

export interface AdamWState {
  /** Per-parameter step count. torch keeps one per parameter; a parameter that got no gradient is not stepped. */
  steps: Record<string, number>;
  /** exp_avg, flattened. */
  m: Record<string, Float32Array>;
  /** exp_avg_sq, flattened. */
  v: Record<string, Float32Array>;
}

export class AdamW {
  private readonly m = new Map<string, Tensor>();
  private readonly v = new Map<string, Tensor>();
  private readonly steps = new Map<string, number>();
  private readonly decays: (name: string) => boolean;

  constructor(private readonly params: Map<string, Variable>, private readonly opts: AdamWOptions) {
    this.decays = opts.decays ?? defaultDecays;
  }

  /**
   * One update at learning rate `lr`, for every parameter that has an entry in `grads` (others are skipped, as torch
   * skips `grad is None`). Per parameter, in this order (torch 1.13):
   *   step += 1;  p *= 1 - lr*wd;  m = m*b1 + g*(1-b1);  v = v*b2 + (1-b2)*g*g
   *   bc1 = 1 - b1^step;  bc2 = 1 - b2^step;  denom = sqrt(v) / sqrt(bc2) + eps;  p += (-lr/bc1) * m / denom
   * Scalars are computed in double and rounded to f32 where torch casts them. Does not dispose `grads`.
   */
  step(grads: Map<string, Tensor>, lr: number): void {
    const [b1, b2] = this.opts.betas;
    for (const [name, g] of grads) {
      const p = this.params.get(name);
      if (!p) throw new Error(`AdamW: a gradient for '${name}', which is not a parameter of this optimizer`);
      if (g.shape.join() !== p.shape.join()) throw new Error(`AdamW: gradient of '${name}' is [${g.shape}], the parameter is [${p.shape}]`);
      const t = (this.steps.get(name) ?? 0) + 1;
      this.steps.set(name, t);
      const wd = this.decays(name) ? this.opts.weightDecay : 0;
      const bc1 = 1 - b1 ** t;
      const bc2 = 1 - b2 ** t;
      const stepSize = lr / bc1;
      const mOld = this.m.get(name), vOld = this.v.get(name);
      const [m, v] = tidy(() => {
        const decayed = wd !== 0 ? tf.mul(p, 1 - lr * wd) : p;
        const m = tf.add(mOld ? tf.mul(mOld, b1) : tf.zerosLike(g), tf.mul(g, 1 - b1));
        const v = tf.add(vOld ? tf.mul(vOld, b2) : tf.zerosLike(g), tf.mul(tf.mul(g, 1 - b2), g));
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), this.opts.eps);
        // addcdiv_(m, denom, value=-step_size) computes p + (value * m) / denom.
        p.assign(tf.add(decayed, tf.div(tf.mul(m, -stepSize), denom)));
        return [m, v];
      });
      mOld?.dispose();
      vOld?.dispose();
      this.m.set(name, m);
      this.v.set(name, v);
    }
  }

  /** A copy of the state as plain arrays (reads the tensors back). */
  async exportState(): Promise<AdamWState> {
    const out: AdamWState = { steps: Object.fromEntries(this.steps), m: {}, v: {} };
    for (const [name, t] of this.m) out.m[name] = Float32Array.from(await t.data());
    for (const [name, t] of this.v) out.v[name] = Float32Array.from(await t.data());
    return out;
  }

  /** Replaces the state, checking every entry against the parameters. */
  importState(s: AdamWState): void {
    for (const name of Object.keys(s.steps)) {
      const p = this.params.get(name);
      if (!p) throw new Error(`optimizer state names '${name}', which is not a trainable parameter here`);
      if (!s.m[name] || !s.v[name] || s.m[name].length !== p.size || s.v[name].length !== p.size) {
        throw new Error(`optimizer state for '${name}' does not match the parameter's ${p.size} values`);
      }
    }
    this.dispose();
    for (const [name, t] of Object.entries(s.steps)) {
      const shape = this.params.get(name)!.shape;
      this.steps.set(name, t);
      this.m.set(name, tf.tensor(s.m[name], shape, 'float32'));
      this.v.set(name, tf.tensor(s.v[name], shape, 'float32'));
    }
  }

  /** Frees m and v (the parameters belong to the caller). */
  dispose(): void {
    for (const t of this.m.values()) t.dispose();
    for (const t of this.v.values()) t.dispose();
    this.m.clear();
    this.v.clear();
    this.steps.clear();
  }
}

/**
 * torch.nn.utils.clip_grad_norm_: total = ||[||g_1||, ..., ||g_n||]||_2 in f32; coef = maxNorm / (total + 1e-6);
 * when coef < 1 every gradient is scaled by it (the map's tensors are replaced and the old ones disposed).
 * Returns the norm BEFORE clipping. A non-finite norm is returned as is and nothing is scaled; maxNorm 0 only measures.
 */
export async function clipGradNorm(grads: Map<string, Tensor>, maxNorm: number): Promise<number> {
  if (grads.size === 0) return 0;
  // sqrt(sum(x^2)) rather than tf.norm, whose int32 exponent hits an unregistered chained op in tfjs-core 4.22.
  const l2 = (x: Tensor) => tf.sqrt(tf.sum(tf.square(x)));
  const normT = tidy(() => l2(stackChunked([...grads.values()].map((g) => l2(g)))));
  const total = (await normT.data())[0];
  normT.dispose();
  if (!Number.isFinite(total) || maxNorm <= 0) return total;
  const coef = Math.fround(maxNorm / Math.fround(total + 1e-6));
  if (coef < 1) {
    for (const [name, g] of grads) {
      grads.set(name, tf.mul(g, coef));
      g.dispose();
    }
  }
  return total;
}
