/**
 * (IA)^3 (arXiv:2205.05638) as peft 0.13's tuners/ia3: a learned vector l per targeted linear, initialised to ones.
 * Attention-type targets scale the output, y = (W x + b) * l, l saved as [out, 1]; feed-forward targets scale the
 * input, y = W (x * l) + b, l saved as [1, in]. Feed-forward = key ends with a feedforward_modules entry (no '.'
 * boundary, PEFT's rule). We keep l as [1, out] / [1, in] so it broadcasts over (..., n). Merging: merge.ts.
 */
import { tf, type Tensor } from '../kernels/tf';
import type { WeightTensor } from '../kernels/qtensor';
import type { LinearFn, Model } from '../model/types';
import { ia3Config, PeftConfigError, type IA3Config } from './config';
import { makeAdapter, newVariable, peftKey, type Adapter, type AdapterModule, type Ia3Module } from './adapter';
import { DEFAULT_IA3_TARGETS, isFeedforward, resolveTargetModules, selectModules } from './targets';
import { mulberry32, normalFill } from './rng';
import type { AttachOptions } from './lora';

export const ia3Key = (hf: string) => `${peftKey(hf)}.ia3_l`;

/** get_peft_model(model, IA3Config): one l per targeted linear, ones (init_ia3_weights) or N(0, 1). */
export function attachIa3(model: Model, config: Partial<IA3Config> = {}, opts: AttachOptions = {}): Adapter {
  const c = ia3Config(config);
  const defaults = DEFAULT_IA3_TARGETS[model.config.family];
  const targets = resolveTargetModules(model.config, c.target_modules, defaults?.targets);
  // As IA3Model._prepare_adapter_config: a missing feedforward_modules comes from the family mapping, else it is an error.
  const feedforward = c.feedforward_modules ?? (defaults ? [...defaults.feedforward] : null);
  if (feedforward === null) throw new PeftConfigError(`no default feedforward_modules for model_type '${model.config.family}': please specify feedforward_modules ([] for none)`);
  const picked = selectModules(model.config, targets);
  const resolved: IA3Config = { ...c, target_modules: targets, feedforward_modules: feedforward, fan_in_fan_out: picked.some((m) => m.conv1d) };
  const rng = mulberry32(opts.seed ?? 0);
  const params = new Map<string, tf.Variable>();
  const modules = new Map<string, AdapterModule>();
  for (const m of picked) {
    const ff = isFeedforward(feedforward, m.hf);
    const n = ff ? m.inDim : m.outDim;
    const l = newVariable(() => (c.init_ia3_weights ? tf.ones([1, n]) : tf.tensor2d(normalFill(rng, n, 1), [1, n])));
    params.set(ia3Key(m.hf), l);
    modules.set(m.ours, { ...m, kind: 'ia3', feedforward: ff, l });
  }
  return makeAdapter('IA3', resolved, params, modules, { seed: opts.seed });
}

/** One IA3 projection: x (..., in) -> (..., out). */
export function ia3Apply(m: Ia3Module, base: LinearFn, name: string, x: Tensor, w: WeightTensor, bias: Tensor | null): Tensor {
  return tf.tidy(() => (m.feedforward ? base(name, tf.mul(x, m.l), w, bias) : tf.mul(base(name, x, w, bias), m.l)));
}
