/**
 * LoRA (arXiv:2106.09685) as peft 0.13's tuners/lora/layer.py Linear: y = base(x) + B(A(dropout(x))) * scaling,
 * scaling = lora_alpha / r (rsLoRA: / sqrt(r)), dropout on the LoRA branch input in training only.
 * Init (init_lora_weights=true): A = kaiming_uniform_(a=sqrt(5)) on [r, in], i.e. gain sqrt(2/(1+5)) * sqrt(3/in)
 * = U(-1/sqrt(in), 1/sqrt(in)); B = 0, so step 0 equals the base model. Drawn from our seeded PRNG, not torch's.
 * A and B are stored transposed ([in, r], [r, out]) so both products run without transpose flags. DoRA: dora.ts.
 */
import { tf, type Tensor } from '../kernels/tf';
import type { WeightTensor } from '../kernels/qtensor';
import { mm, seededDropout } from '../kernels/ops';
import type { LinearFn, Model } from '../model/types';
import { loraConfig, type LoraConfig } from './config';
import { makeAdapter, newVariable, peftKey, type Adapter, type AdapterModule, type LoraModule } from './adapter';
import { DEFAULT_LORA_TARGETS, rankAndAlpha, resolveTargetModules, selectModules, type LinearModule } from './targets';
import { doraApply, doraWeightNorm } from './dora';
import { mixSeed, mulberry32, normalFill, uniformFill } from './rng';

export interface AttachOptions {
  /** Seed for the initial values and the dropout streams. */
  seed?: number;
}

export const loraKeys = (hf: string) => ({
  a: `${peftKey(hf)}.lora_A.weight`,
  b: `${peftKey(hf)}.lora_B.weight`,
  magnitude: `${peftKey(hf)}.lora_magnitude_vector`,
});

/** The LoRA modules a config selects on this model, with per-module rank and scaling (no tensors yet). */
export function planLora(model: Model, config: Partial<LoraConfig>): { config: LoraConfig; modules: (LinearModule & { r: number; scaling: number })[] } {
  const c = loraConfig(config);
  const targets = resolveTargetModules(model.config, c.target_modules, DEFAULT_LORA_TARGETS[model.config.family]);
  const picked = selectModules(model.config, targets, c);
  // PEFT flips fan_in_fan_out to match the layer type (Conv1D needs true, nn.Linear false) and records it.
  const resolved: LoraConfig = { ...c, target_modules: targets, fan_in_fan_out: picked.some((m) => m.conv1d) };
  return {
    config: resolved,
    modules: picked.map((m) => {
      const { r, alpha } = rankAndAlpha(c, m.hf);
      return { ...m, r, scaling: c.use_rslora ? alpha / Math.sqrt(r) : alpha / r };
    }),
  };
}

/** Initial A [in, r] and B [r, out] values (our layout) as PEFT's reset_lora_parameters draws them. */
function initialValues(c: LoraConfig, m: LinearModule & { r: number }, rng: () => number): { a: Float32Array; b: Float32Array } {
  const a = c.init_lora_weights === 'gaussian' ? normalFill(rng, m.inDim * m.r, 1 / m.r) : uniformFill(rng, m.inDim * m.r, 1 / Math.sqrt(m.inDim));
  // init_lora_weights=false keeps nn.Linear's own init for B too: kaiming-uniform over fan_in r.
  const b = c.init_lora_weights === false ? uniformFill(rng, m.r * m.outDim, 1 / Math.sqrt(m.r)) : new Float32Array(m.r * m.outDim);
  return { a, b };
}

/**
 * get_peft_model(model, LoraConfig): wraps every targeted linear with fresh trainable A, B (and DoRA magnitudes,
 * initialised to the column norms of W + scaling * B A, i.e. of W while B = 0). The base weights are not touched.
 */
export function attachLora(model: Model, config: Partial<LoraConfig> = {}, opts: AttachOptions = {}): Adapter {
  const plan = planLora(model, config);
  const rng = mulberry32(opts.seed ?? 0);
  const params = new Map<string, tf.Variable>();
  const modules = new Map<string, AdapterModule>();
  try {
    plan.modules.forEach((m, index) => {
      const init = initialValues(plan.config, m, rng);
      const keys = loraKeys(m.hf);
      const a = newVariable(() => tf.tensor2d(init.a, [m.inDim, m.r]));
      params.set(keys.a, a);
      const b = newVariable(() => tf.tensor2d(init.b, [m.r, m.outDim]));
      params.set(keys.b, b);
      let magnitude: tf.Variable | null = null;
      if (plan.config.use_dora) {
        magnitude = newVariable(() => doraWeightNorm(model.weights.get(`${m.ours}.w`)!, a, b, m.scaling));
        params.set(keys.magnitude, magnitude);
      }
      modules.set(m.ours, { ...m, kind: 'lora', index, dropout: plan.config.lora_dropout, a, b, magnitude });
    });
  } catch (e) {
    for (const v of params.values()) v.dispose();
    throw e;
  }
  return makeAdapter('LORA', plan.config, params, modules, { seed: opts.seed });
}

/** One LoRA / DoRA projection: x (..., in) -> (..., out). */
export function loraApply(m: LoraModule, base: LinearFn, name: string, x: Tensor, w: WeightTensor, bias: Tensor | null, mode: { train: boolean; seed: number }): Tensor {
  return tf.tidy(() => {
    const y = base(name, x, w, bias); // (..., out)
    const lead = x.shape.slice(0, -1);
    const x2 = tf.reshape(x, [-1, m.inDim]); // (N, in)
    const dropped = mode.train && m.dropout > 0;
    const xd = dropped ? seededDropout(x2, m.dropout, mixSeed(mode.seed, m.index)) : x2;
    // mm: plain-product gradients both ways (no transpose flags: ENVIRONMENT.md pitfall 5).
    const delta = mm(mm(xd, m.a), m.b); // (N, r) -> (N, out), unscaled
    if (m.magnitude) return doraApply(m, y, xd, dropped, w, bias, delta, lead);
    return tf.add(y, tf.reshape(tf.mul(delta, m.scaling), [...lead, m.outDim]));
  });
}
