/**
 * AdaLoRA (arXiv:2303.10512) as peft 0.13's tuners/adalora SVDLinear: the update is P Λ Q in SVD form,
 * y = base(x) + (dropout(x) @ (A ⊙ E)ᵀ @ Bᵀ) * lora_alpha / (ranknum + 1e-5), with A = lora_A [r, in] (right singular
 * vectors), E = lora_E [r, 1] (singular values), B = lora_B [out, r] (left), ranknum = init_r (PEFT never changes it,
 * also not when ranks are masked or the adapter is resized on load). The orthogonal regulariser that
 * AdaLoraModel.forward adds to the loss is orthRegularizer. Init: E = 0, A, B ~ N(0, 0.02²) (false: N(0, 1) all).
 * The rank allocation is adalora-allocate.ts. Not handled: AdaLoRA on embeddings, quantized-layer variants.
 */
import { tf, type Tensor } from '../kernels/tf';
import type { WeightTensor } from '../kernels/qtensor';
import type { WritableTensor } from '../model/safetensors';
import { mm, seededDropout } from '../kernels/ops';
import type { LinearFn, Model } from '../model/types';
import { adaLoraConfig, type AdaLoraConfig } from './config';
import { makeAdapter, newVariable, peftKey, type AdaLoraModule, type Adapter, type AdapterModule } from './adapter';
import { resolveTargetModules, selectModules } from './targets';
import { mixSeed, mulberry32, normalFill } from './rng';
import type { Family } from '../model/config';

/** TRANSFORMERS_MODELS_TO_ADALORA_TARGET_MODULES_MAPPING (peft 0.13) for our families; the others must name targets. */
export const DEFAULT_ADALORA_TARGETS: Partial<Record<Family, string[]>> = {
  llama: ['q_proj', 'v_proj'], qwen2: ['q_proj', 'v_proj'], gpt2: ['c_attn'], bloom: ['query_key_value'],
};

/** Save keys: no '.weight' suffix (they are ParameterDict entries in PEFT). */
export const adaloraKeys = (hf: string) => ({ a: `${peftKey(hf)}.lora_A`, e: `${peftKey(hf)}.lora_E`, b: `${peftKey(hf)}.lora_B` });

/** The rank_pattern key of a module as PEFT saves it: 'model.layers.0.self_attn.q_proj.lora_E'. */
export const rankPatternKey = (hf: string) => `${hf}.lora_E`;

/** PEFT: scaling = lora_alpha if lora_alpha > 0 else r; the forward divides it by ranknum + 1e-5 (in f32). */
export function adaloraScaling(alpha: number, ranknum: number): number {
  return (alpha > 0 ? alpha : ranknum) / Math.fround(Math.fround(ranknum) + 1e-5);
}

/**
 * get_peft_model(model, AdaLoraConfig): every targeted linear gets A [in, r], E [1, r], B [r, out] (our layout,
 * transposed from PEFT's) with r = init_r. A config carrying a rank_pattern (a saved, allocated adapter) sizes each
 * listed module to its kept ranks, as PEFT's resize_modules_by_rank_pattern does on load; ranknum stays init_r.
 */
export function attachAdaLora(model: Model, config: Partial<AdaLoraConfig> = {}, opts: { seed?: number } = {}): Adapter {
  const c0 = adaLoraConfig(config);
  const targets = resolveTargetModules(model.config, c0.target_modules, DEFAULT_ADALORA_TARGETS[model.config.family]);
  const picked = selectModules(model.config, targets, c0);
  const c: AdaLoraConfig = { ...c0, target_modules: targets, fan_in_fan_out: picked.some((m) => m.conv1d) };
  const known = new Set(picked.map((m) => rankPatternKey(m.hf)));
  const stray = Object.keys(c.rank_pattern ?? {}).find((k) => !known.has(k));
  if (stray) throw new Error(`rank_pattern names '${stray}', which is not an AdaLoRA module of this model (expected keys like '${rankPatternKey(picked[0].hf)}')`);
  const rng = mulberry32(opts.seed ?? 0);
  const params = new Map<string, tf.Variable>();
  const modules = new Map<string, AdapterModule>();
  const scaling = adaloraScaling(c.lora_alpha, c.init_r);
  const std = c.init_lora_weights ? 0.02 : 1;
  try {
    picked.forEach((m, index) => {
      const pattern = c.rank_pattern?.[rankPatternKey(m.hf)];
      const r = pattern ? pattern.filter(Boolean).length : c.init_r;
      const keys = adaloraKeys(m.hf);
      const a = newVariable(() => tf.tensor2d(normalFill(rng, m.inDim * r, std), [m.inDim, r]));
      const b = newVariable(() => tf.tensor2d(normalFill(rng, r * m.outDim, std), [r, m.outDim]));
      const e = newVariable(() => tf.tensor2d(c.init_lora_weights ? new Float32Array(r) : normalFill(rng, r, 1), [1, r]));
      params.set(keys.e, e);
      params.set(keys.a, a);
      params.set(keys.b, b);
      modules.set(m.ours, { ...m, kind: 'adalora', index, r, initR: c.init_r, scaling, dropout: c.lora_dropout, a, e, b });
    });
  } catch (err) {
    for (const v of params.values()) v.dispose();
    throw err;
  }
  return makeAdapter('ADALORA', c, params, modules, { seed: opts.seed });
}

/** One SVDLinear: x (..., in) -> (..., out). A module with no rank left adds nothing. */
export function adaloraApply(m: AdaLoraModule, base: LinearFn, name: string, x: Tensor, w: WeightTensor, bias: Tensor | null, mode: { train: boolean; seed: number }): Tensor {
  return tf.tidy(() => {
    const y = base(name, x, w, bias); // (..., out)
    if (m.r === 0) return y;
    const lead = x.shape.slice(0, -1);
    const x2 = tf.reshape(x, [-1, m.inDim]); // (N, in)
    const xd = mode.train && m.dropout > 0 ? seededDropout(x2, m.dropout, mixSeed(mode.seed, m.index)) : x2;
    const ae = tf.mul(m.a, m.e); // (in, r): (A ⊙ E)ᵀ
    const delta = mm(mm(xd, ae), m.b); // (N, r) -> (N, out)
    return tf.add(y, tf.reshape(tf.mul(delta, m.scaling), [...lead, m.outDim]));
  });
}

/** B (A ⊙ E) * scaling in our [in, out] layout: what a merge adds to W. */
export function adaloraDelta(m: AdaLoraModule): Tensor {
  return tf.tidy(() => tf.mul(tf.matMul(tf.mul(m.a, m.e), m.b), m.scaling));
}

const frobeniusOffIdentity = (g: Tensor, r: number) => tf.sqrt(tf.sum(tf.square(tf.sub(g, tf.eye(r))))); // ‖G − I‖_F

/**
 * AdaLoraModel.forward's regulariser: the mean over every lora_A and lora_B of ‖A Aᵀ − I‖_F (A [r, in]) and
 * ‖Bᵀ B − I‖_F (B [out, r]), both r × r. A module with r = 0 counts in the mean with 0, as in PEFT.
 */
export function orthRegularizer(adapter: Adapter): Tensor {
  return tf.tidy(() => {
    const terms: Tensor[] = [];
    let n = 0;
    for (const m of adapter.modules.values()) {
      if (m.kind !== 'adalora') continue;
      n += 2;
      if (m.r === 0) continue;
      terms.push(frobeniusOffIdentity(mm(tf.transpose(m.a), m.a), m.r)); // ours a = Aᵀ [in, r]: A Aᵀ = aᵀ a
      terms.push(frobeniusOffIdentity(mm(m.b, tf.transpose(m.b)), m.r)); // ours b = Bᵀ [r, out]: Bᵀ B = b bᵀ
    }
    // A chain of adds: tf.addN's gradient came back null under vitest when this module loaded before adapter.ts.
    return n === 0 || terms.length === 0 ? tf.scalar(0) : tf.div(terms.reduce((s, t) => tf.add(s, t)), n);
  });
}

/** loss + orth_reg_weight * orthRegularizer for an AdaLoRA adapter (PEFT adds it whenever labels are given); else loss. */
export function withOrthRegularizer(adapter: Adapter | null, loss: Tensor): Tensor {
  if (!adapter || adapter.method !== 'ADALORA') return loss;
  const w = (adapter.config as AdaLoraConfig).orth_reg_weight;
  return tf.tidy(() => tf.add(loss, tf.mul(orthRegularizer(adapter), w)));
}

/**
 * PEFT's resize_state_dict_by_rank_pattern on save: with a rank_pattern, each listed module keeps only its true ranks
 * (rows of A and E, columns of B) unless it already holds exactly that many. Works on the HF-layout tensors.
 */
export function resizeByRankPattern(config: AdaLoraConfig, tensors: Record<string, WritableTensor>): Record<string, WritableTensor> {
  if (!config.rank_pattern) return tensors;
  const out = { ...tensors };
  for (const [key, pattern] of Object.entries(config.rank_pattern)) {
    const keys = adaloraKeys(key.replace(/\.lora_E$/, ''));
    const keep = pattern.flatMap((k, i) => (k ? [i] : []));
    const rows = (t: WritableTensor) => {
      const [r, cols] = t.shape;
      if (keep.length === r) return t;
      const data = new Float32Array(keep.length * cols);
      keep.forEach((i, j) => data.set(t.data.subarray(i * cols, (i + 1) * cols), j * cols));
      return { shape: [keep.length, cols], data };
    };
    for (const k of [keys.a, keys.e]) if (out[k]) out[k] = rows(out[k]);
    const b = out[keys.b];
    if (b && b.shape[1] !== keep.length) {
      const [O, r] = b.shape;
      const data = new Float32Array(O * keep.length);
      for (let o = 0; o < O; o++) keep.forEach((i, j) => (data[o * keep.length + j] = b.data[o * r + i]));
      out[keys.b] = { shape: [O, keep.length], data };
    }
  }
  return out;
}
