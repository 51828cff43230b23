/**
 * The one Adapter shape every PEFT method shares (method, config, trainable tf.Variables keyed by PEFT's save keys,
 * per-module wiring) and the verbs the trainer and generate call: adapterForward (any method, train or eval),
 * adapterLinear (the LinearFn hook for LoRA / DoRA / IA3), primeGeneration (the KV cache that prompt and prefix
 * tuning decode from), trainableParams. Not here: the per-method math (lora.ts, dora.ts, ia3.ts, prompt.ts, prefix.ts).
 */
import { tf, tidy, type Tensor } from '../kernels/tf';
import { forward, defaultLinear } from '../model/transformer';
import type { ForwardInputs, ForwardOptions, ForwardOutput, KVCache, LinearFn, Model } from '../model/types';
import type { PeftConfig, PeftType } from './config';
import type { LinearModule } from './targets';
import { loraApply } from './lora';
import { adaloraApply } from './adalora';
import { ia3Apply } from './ia3';
import { promptForwardInputs, promptPrime } from './prompt';
import { prefixCache, prefixMask } from './prefix';
import { mixSeed } from './rng';

export interface LoraModule extends LinearModule {
  kind: 'lora';
  /** Position among the adapter's modules: the dropout stream. */
  index: number;
  r: number;
  /** lora_alpha / r, or lora_alpha / sqrt(r) for rsLoRA. */
  scaling: number;
  dropout: number;
  /** [in, r]: PEFT's lora_A.weight [r, in], transposed so that x @ a needs no transpose flag. */
  a: tf.Variable;
  /** [r, out]: PEFT's lora_B.weight [out, r], transposed. */
  b: tf.Variable;
  /** DoRA magnitude m [out] (PEFT's lora_magnitude_vector), or null for plain LoRA. */
  magnitude: tf.Variable | null;
}

export interface Ia3Module extends LinearModule {
  kind: 'ia3';
  /** Feed-forward: scales the input, y = W(x*l), l [1, in]. Otherwise the output, y = (Wx + b)*l, l [1, out]. */
  feedforward: boolean;
  l: tf.Variable;
}

export interface AdaLoraModule extends LinearModule {
  kind: 'adalora';
  /** Position among the adapter's modules: the dropout stream. */
  index: number;
  /** Ranks held: init_r, or the kept ranks of a loaded, resized adapter (0 = adds nothing). */
  r: number;
  /** PEFT's ranknum: init_r, never updated. */
  initR: number;
  /** lora_alpha / (ranknum + 1e-5). */
  scaling: number;
  dropout: number;
  /** [in, r]: PEFT's lora_A [r, in], transposed. */
  a: tf.Variable;
  /** [1, r]: PEFT's lora_E [r, 1] (the same values). */
  e: tf.Variable;
  /** [r, out]: PEFT's lora_B [out, r], transposed. */
  b: tf.Variable;
}

export type AdapterModule = LoraModule | Ia3Module | AdaLoraModule;

export interface Adapter {
  method: PeftType;
  /** As it will be saved: targets resolved ('all-linear' expanded), prompt dims filled from the model. */
  config: PeftConfig;
  /**
   * Trainable parameters keyed by PEFT's save key, e.g. 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight'
   * or 'prompt_embeddings'. Values are in OUR layout (LoRA A [in, r], B [r, out]; IA3 l [1, n]); adapter-io converts.
   */
  params: Map<string, tf.Variable>;
  /** LoRA / IA3 wiring by our module name ('layers.0.q'); empty for prompt learning. */
  modules: Map<string, AdapterModule>;
  /** Virtual tokens n (prompt / prefix tuning), 0 otherwise. */
  virtualTokens: number;
  /** True while merged into the base weights (merge.ts): the hook then adds nothing. */
  merged: boolean;
  /** Seed of the dropout streams; `steps` counts training forwards (the default per-step seed). */
  seed: number;
  steps: number;
  /** DoRA: column norms cached at merge for the exact unmerge, as PEFT caches them. */
  mergeCache: Map<string, Tensor>;
  dispose(): void;
}

/** Builds an Adapter whose dispose() frees every variable and cached tensor. */
export function makeAdapter(method: PeftType, config: PeftConfig, params: Map<string, tf.Variable>, modules: Map<string, AdapterModule>, opts: { seed?: number; virtualTokens?: number } = {}): Adapter {
  const adapter: Adapter = {
    method, config, params, modules, virtualTokens: opts.virtualTokens ?? 0, merged: false, seed: opts.seed ?? 0, steps: 0, mergeCache: new Map(),
    dispose() {
      for (const v of params.values()) v.dispose();
      for (const t of adapter.mergeCache.values()) t.dispose();
      params.clear();
      modules.clear();
      adapter.mergeCache.clear();
    },
  };
  return adapter;
}

/** A trainable variable holding make()'s value; the temporary is freed (tidy keeps variables). */
export function newVariable(make: () => Tensor): tf.Variable {
  return tf.tidy(() => tf.variable(make(), true));
}

/** The PEFT save-key prefix of a module: 'base_model.model.' + HF module path. */
export const peftKey = (hfPath: string) => `base_model.model.${hfPath}`;

export function trainableParams(adapter: Adapter): tf.Variable[] {
  return [...adapter.params.values()];
}

export interface HookOptions {
  /** Training mode: LoRA dropout is active. */
  train?: boolean;
  /** Dropout seed of this forward (e.g. the step). Default: adapter.seed + a running count of training forwards. */
  seed?: number;
  /** The frozen base projection; default x @ w + b. A trainer may pass one with a cheaper custom gradient. */
  base?: LinearFn;
}

/** The LinearFn hook for LoRA, DoRA, IA3 and AdaLoRA (e.g. generate's hooks.linear). Plain base linear once merged. */
export function adapterLinear(adapter: Adapter, opts: HookOptions = {}): LinearFn {
  const base = opts.base ?? defaultLinear;
  if (adapter.merged || adapter.modules.size === 0) return base;
  const train = opts.train ?? false;
  const seed = opts.seed ?? (train ? adapter.seed + adapter.steps++ : 0);
  const hook: LinearFn = (name, x, w, b) => {
    const m = adapter.modules.get(name);
    if (!m) return base(name, x, w, b);
    if (m.kind === 'adalora') return adaloraApply(m, base, name, x, w, b, { train, seed });
    return m.kind === 'lora' ? loraApply(m, base, name, x, w, b, { train, seed }) : ia3Apply(m, base, name, x, w, b);
  };
  // Plain LoRA over a plain base is described to the fused training block (model/fused-block.ts); the rest is opaque.
  hook.term = (name) => {
    const m = adapter.modules.get(name);
    const under = base.term?.(name) ?? { kind: 'opaque' };
    if (!m || under.kind === 'opaque') return under;
    if (m.kind !== 'lora' || m.magnitude || under.kind !== 'none') return { kind: 'opaque' };
    return { kind: 'lowRank', a: m.a, b: m.b, scaling: m.scaling, dropout: train ? m.dropout : 0, seed: mixSeed(seed, m.index) };
  };
  return hook;
}

export interface AdapterForwardOptions extends ForwardOptions, HookOptions {
  /** (B, T) HF-style labels; prompt tuning returns them extended with -100 for the virtual tokens. */
  labels?: Int32Array;
}

export interface AdapterForwardOutput extends ForwardOutput {
  /** Labels aligned with the logits: (B, n + T) for prompt tuning, the given ones otherwise. */
  labels?: Int32Array;
  /** The attention mask the model saw, (B, n + T) for prompt / prefix tuning. */
  attentionMask: Int32Array;
}

/**
 * Runs the model with any adapter (or none) over whole sequences, as PEFT's PeftModelForCausalLM.forward:
 * LoRA / DoRA / IA3 through the linear hook; prompt tuning prepends n trainable embeddings (logits are (B, n+T, V));
 * prefix tuning feeds n trainable key/value slots per layer as a cache (logits (B, T, V), positions n..n+T-1).
 * For prompt learning, inputs.positionIds is ignored (PEFT ignores position_ids too) and opts.cache is refused:
 * decode with primeGeneration. Differentiable with respect to trainableParams(adapter).
 */
export function adapterForward(model: Model, adapter: Adapter | null, inputs: ForwardInputs, opts: AdapterForwardOptions = {}): AdapterForwardOutput {
  const mask = inputs.attentionMask ?? new Int32Array(inputs.B * ((opts.cache?.length ?? 0) + inputs.T)).fill(1);
  const { labels, train: _t, seed: _s, base: _b, linear: _l, ...fwd } = opts;
  const base = opts.base ?? opts.linear; // either names the frozen projection
  if (!adapter || adapter.method === 'LORA' || adapter.method === 'IA3' || adapter.method === 'ADALORA') {
    const linear = adapter ? adapterLinear(adapter, { ...opts, base }) : base;
    return { ...forward(model, inputs, { ...fwd, linear }), labels, attentionMask: mask };
  }
  if (opts.cache) throw new Error(`${adapter.method}: adapterForward runs whole sequences; for decoding use primeGeneration(model, adapter, B)`);
  const linear = base;
  if (adapter.method === 'PROMPT_TUNING' || adapter.method === 'P_TUNING') {
    const p = promptForwardInputs(model, adapter, inputs, labels);
    const out = tidy(() => forward(model, p.inputs(), { ...fwd, linear }));
    return { ...out, labels: p.labels, attentionMask: p.attentionMask };
  }
  const full = prefixMask(adapter, inputs.B, inputs.T, inputs.attentionMask);
  const out = tidy(() => {
    const cache = prefixCache(model, adapter, inputs.B);
    // positionIds dropped: the default past..past+T-1 gives PEFT's n..n+T-1.
    const o = forward(model, { ids: inputs.ids, B: inputs.B, T: inputs.T, attentionMask: full, inputsEmbeds: inputs.inputsEmbeds }, { ...fwd, linear, cache });
    return o; // the extended cache layers are not returned, so tidy frees them
  });
  return { ...out, labels, attentionMask: full };
}

/**
 * Decoding with prompt or prefix tuning: returns a KV cache (B rows) already holding the n virtual slots, and n.
 * The caller then feeds the real prompt through forward({ cache }) with every mask row prefixed by n ones, and
 * positions counted from those slots (HF's cumsum(mask) - 1 over the extended mask gives n.. for unpadded rows),
 * exactly like a prompt whose first n tokens were already fed. The caller owns the cache (disposeCache).
 * Returns null for LoRA / IA3 (use adapterLinear as the linear hook instead).
 */
export function primeGeneration(model: Model, adapter: Adapter, B: number): { cache: KVCache; prefixLength: number } | null {
  if (adapter.method === 'PREFIX_TUNING') return { cache: tidy(() => prefixCache(model, adapter, B)), prefixLength: adapter.virtualTokens };
  if (adapter.method === 'PROMPT_TUNING' || adapter.method === 'P_TUNING') return { cache: promptPrime(model, adapter, B), prefixLength: adapter.virtualTokens };
  return null;
}
