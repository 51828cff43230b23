/**
 * PEFT configs as peft 0.13.0 writes adapter_config.json: LoraConfig (+ DoRA, rsLoRA), IA3Config,
 * PromptTuningConfig, PrefixTuningConfig, AdaLoraConfig. Field names are PEFT's snake_case, so a config is its own JSON.
 * Defaults live here once; validation refuses what we do not implement (bias != none, modules_to_save,
 * prefix_projection, LoftQ/PiSSA/OLoRA inits, layer_replication, TEXT init without ids) with a clear error.
 */

export type PeftType = 'LORA' | 'IA3' | 'PROMPT_TUNING' | 'PREFIX_TUNING' | 'ADALORA' | 'P_TUNING';

export class PeftConfigError extends Error {
  override name = 'PeftConfigError';
}

interface Common {
  /** Only causal LMs here; PEFT's default is null (a bare PeftModel, same LoRA keys). */
  task_type: 'CAUSAL_LM' | null;
  /** e.g. "HuggingFaceTB/SmolLM2-135M"; "" for a model built from a config. */
  base_model_name_or_path: string | null;
  revision: string | null;
  /** PEFT writes true on save. */
  inference_mode: boolean;
  auto_mapping: null;
}

export interface LoraConfig extends Common {
  peft_type: 'LORA';
  /** Rank: A is [r, in], B is [out, r]. e.g. 8. */
  r: number;
  /** scaling = lora_alpha / r (rsLoRA: / sqrt(r)). "alpha usually 2*r". */
  lora_alpha: number;
  /** Dropout probability on the LoRA branch input, training only. e.g. 0.05. */
  lora_dropout: number;
  /** Module-name suffixes (['q_proj', 'v_proj']), a full-match regex string, 'all-linear', or null = PEFT's family default. */
  target_modules: string[] | string | null;
  /** True for GPT-2's Conv1D ([in, out] weights). PEFT corrects it per layer type, and so do we. */
  fan_in_fan_out: boolean;
  bias: 'none';
  use_rslora: boolean;
  use_dora: boolean;
  /** true: A ~ kaiming-uniform (U(±1/sqrt(in))), B = 0. 'gaussian': A ~ N(0, 1/r). false: B random too (not a no-op). */
  init_lora_weights: boolean | 'gaussian';
  /** Layer indices to adapt (with suffix targets only), e.g. [22, 23]. */
  layers_to_transform: number[] | number | null;
  layers_pattern: string[] | string | null;
  /** Per-module rank / alpha overrides keyed by a module-path suffix or regex, e.g. {"q_proj": 16}. */
  rank_pattern: Record<string, number>;
  alpha_pattern: Record<string, number>;
  modules_to_save: null;
  megatron_config: null;
  megatron_core: string;
  loftq_config: Record<string, never>;
  layer_replication: null;
}

/**
 * AdaLoRA (arXiv:2303.10512) as peft 0.13's AdaLoraConfig, a LoraConfig subclass: the SVD-form adapter starts at
 * init_r per module and the RankAllocator masks singular values down to a total of target_r per module by
 * total_step - tfinal. `r` (LoraConfig's default 8) is written but unused; rank_pattern is the allocator's output.
 */
export interface AdaLoraConfig extends Omit<LoraConfig, 'peft_type' | 'rank_pattern'> {
  peft_type: 'ADALORA';
  /** Starting rank of every module, e.g. 12. */
  init_r: number;
  /** Average rank per module at the end of the budget schedule, e.g. 8. */
  target_r: number;
  /** Warmup steps before any rank is masked, e.g. 200. */
  tinit: number;
  /** Final steps trained with the rank pattern frozen, e.g. 500. */
  tfinal: number;
  /** Steps between two allocations, e.g. 10. */
  deltaT: number;
  /** EMA factors of the sensitivity and of its uncertainty, e.g. 0.85. */
  beta1: number;
  beta2: number;
  /** Weight of the orthogonality regulariser added to the loss, e.g. 0.5. */
  orth_reg_weight: number;
  /** Optimizer steps of the run (the budget schedule's length); null until the trainer fills it. */
  total_step: number | null;
  /** Per module 'model.layers.0.self_attn.q_proj.lora_E' -> kept ranks (true = kept); null before an allocation. */
  rank_pattern: Record<string, boolean[]> | null;
}

export interface IA3Config extends Common {
  peft_type: 'IA3';
  /** Suffixes, a full-match regex, 'all-linear', or null = PEFT's family default. */
  target_modules: string[] | string | null;
  /** Which targets scale their INPUT (y = W(x*l)); the others scale their output (y = (Wx)*l). Must be a subset. */
  feedforward_modules: string[] | string | null;
  fan_in_fan_out: boolean;
  init_ia3_weights: boolean;
  modules_to_save: null;
}

interface PromptLearning extends Common {
  /** n: virtual tokens, e.g. 20 (required). */
  num_virtual_tokens: number;
  /** Width of one virtual token: hidden size (prompt tuning), Hkv*D (prefix tuning). Filled from the model. */
  token_dim: number | null;
  num_transformer_submodules: number | null;
  /** Prompt tuning: query heads. Prefix tuning: KV heads (PEFT's GQA adjustment). Filled from the model. */
  num_attention_heads: number | null;
  num_layers: number | null;
}

export interface PromptTuningConfig extends PromptLearning {
  peft_type: 'PROMPT_TUNING';
  /** RANDOM: N(0, 1) as nn.Embedding. TEXT: embeddings of given token ids (pass them to attach; no tokenizer here). */
  prompt_tuning_init: 'RANDOM' | 'TEXT';
  prompt_tuning_init_text: string | null;
  tokenizer_name_or_path: string | null;
  tokenizer_kwargs: Record<string, unknown> | null;
}

export interface PrefixTuningConfig extends PromptLearning {
  peft_type: 'PREFIX_TUNING';
  encoder_hidden_size: number | null;
  /** Only false: the prefix is a plain embedding [n, L*2*token_dim], no MLP reparametrisation. */
  prefix_projection: false;
}

/**
 * P-tuning as peft 0.13's PromptEncoderConfig: the virtual tokens are the output of a small encoder (prompt-encoder.ts)
 * over n trainable embeddings. PEFT saves only that output ('prompt_embeddings'), and a loaded adapter is used as
 * prompt tuning with those embeddings (the encoder is not rebuilt).
 */
export interface PromptEncoderConfig extends PromptLearning {
  peft_type: 'P_TUNING';
  /** MLP (3 Linear layers, PEFT's recommendation) or LSTM (bidirectional, then a 2-layer MLP head). */
  encoder_reparameterization_type: 'MLP' | 'LSTM';
  /** Encoder width h, e.g. 128; null = token_dim (PEFT fills it so). */
  encoder_hidden_size: number | null;
  /** LSTM layers, e.g. 2 (PEFT's default); the MLP ignores it. */
  encoder_num_layers: number;
  /** Only 0: dropout between LSTM layers is not implemented. */
  encoder_dropout: number;
}

export type PeftConfig = LoraConfig | IA3Config | PromptTuningConfig | PrefixTuningConfig | AdaLoraConfig | PromptEncoderConfig;

const COMMON: Common = { task_type: 'CAUSAL_LM', base_model_name_or_path: null, revision: null, inference_mode: false, auto_mapping: null };

export const LORA_DEFAULTS: LoraConfig = {
  ...COMMON, peft_type: 'LORA', r: 8, lora_alpha: 8, lora_dropout: 0, target_modules: null, fan_in_fan_out: false, bias: 'none',
  use_rslora: false, use_dora: false, init_lora_weights: true, layers_to_transform: null, layers_pattern: null, rank_pattern: {},
  alpha_pattern: {}, modules_to_save: null, megatron_config: null, megatron_core: 'megatron.core', loftq_config: {}, layer_replication: null,
};
export const ADALORA_DEFAULTS: AdaLoraConfig = {
  ...LORA_DEFAULTS, peft_type: 'ADALORA', rank_pattern: null, init_r: 12, target_r: 8, tinit: 0, tfinal: 0, deltaT: 1, beta1: 0.85, beta2: 0.85,
  orth_reg_weight: 0.5, total_step: null,
};
export const IA3_DEFAULTS: IA3Config = {
  ...COMMON, peft_type: 'IA3', target_modules: null, feedforward_modules: null, fan_in_fan_out: false, init_ia3_weights: true, modules_to_save: null,
};
// num_virtual_tokens has no default in PEFT either: 0 makes validation ask for it.
const PROMPT_COMMON = { num_virtual_tokens: 0, token_dim: null, num_transformer_submodules: null, num_attention_heads: null, num_layers: null };
export const PROMPT_TUNING_DEFAULTS: PromptTuningConfig = {
  ...COMMON, ...PROMPT_COMMON, peft_type: 'PROMPT_TUNING', prompt_tuning_init: 'RANDOM', prompt_tuning_init_text: null,
  tokenizer_name_or_path: null, tokenizer_kwargs: null,
};
export const P_TUNING_DEFAULTS: PromptEncoderConfig = {
  ...COMMON, ...PROMPT_COMMON, peft_type: 'P_TUNING', encoder_reparameterization_type: 'MLP', encoder_hidden_size: null, encoder_num_layers: 2,
  encoder_dropout: 0,
};
export const PREFIX_TUNING_DEFAULTS: PrefixTuningConfig = {
  ...COMMON, ...PROMPT_COMMON, peft_type: 'PREFIX_TUNING', encoder_hidden_size: null, prefix_projection: false,
};

const DEFAULTS: Record<PeftType, PeftConfig> = {
  LORA: LORA_DEFAULTS, IA3: IA3_DEFAULTS, PROMPT_TUNING: PROMPT_TUNING_DEFAULTS, PREFIX_TUNING: PREFIX_TUNING_DEFAULTS, ADALORA: ADALORA_DEFAULTS,
  P_TUNING: P_TUNING_DEFAULTS,
};

const isEmpty = (v: unknown) => v === null || v === undefined || v === false || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);
const posInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;

function check(ok: boolean, msg: string): void {
  if (!ok) throw new PeftConfigError(msg);
}

function checkTargets(name: string, v: unknown): void {
  check(v === null || typeof v === 'string' || (Array.isArray(v) && v.every((s) => typeof s === 'string')), `${name} must be a list of module names, a regex string, 'all-linear' or null`);
  if (typeof v === 'string' && v.toLowerCase() !== 'all-linear') {
    try {
      new RegExp(v);
    } catch {
      throw new PeftConfigError(`${name} '${v}' is not a valid regular expression`);
    }
  }
}

/** Throws PeftConfigError naming the field for anything invalid or unsupported. */
export function validatePeftConfig(c: PeftConfig): void {
  check(c.task_type === 'CAUSAL_LM' || c.task_type === null, `task_type '${c.task_type}' is not supported (only CAUSAL_LM)`);
  if (c.peft_type === 'LORA') {
    check(posInt(c.r), `r must be a positive integer (got ${c.r})`);
    check(typeof c.lora_alpha === 'number' && c.lora_alpha > 0, `lora_alpha must be a positive number (got ${c.lora_alpha})`);
    check(typeof c.lora_dropout === 'number' && c.lora_dropout >= 0 && c.lora_dropout < 1, `lora_dropout must be in [0, 1) (got ${c.lora_dropout})`);
    checkTargets('target_modules', c.target_modules);
    check(c.bias === 'none', `bias '${c.bias}' is not supported (only 'none': base biases stay frozen)`);
    check(c.init_lora_weights === true || c.init_lora_weights === false || c.init_lora_weights === 'gaussian',
      `init_lora_weights '${c.init_lora_weights}' is not supported (true, false or 'gaussian'; not pissa/olora/loftq/eva)`);
    check(isEmpty(c.modules_to_save), 'modules_to_save is not supported (only adapter weights are trained)');
    check(isEmpty(c.loftq_config), 'loftq_config is not supported');
    check(isEmpty(c.layer_replication), 'layer_replication is not supported');
    check(isEmpty(c.megatron_config), 'megatron_config is not supported');
    check(typeof c.target_modules !== 'string' || c.layers_to_transform === null, 'layers_to_transform cannot be used when target_modules is a str (PEFT refuses it too)');
    check(typeof c.target_modules !== 'string' || c.layers_pattern === null, 'layers_pattern cannot be used when target_modules is a str (PEFT refuses it too)');
    const lt = c.layers_to_transform;
    check(lt === null || Number.isInteger(lt) || (Array.isArray(lt) && lt.every((i) => Number.isInteger(i))), 'layers_to_transform must be an int, a list of ints or null');
    for (const [k, v] of Object.entries(c.rank_pattern)) check(posInt(v), `rank_pattern['${k}'] must be a positive integer`);
    for (const [k, v] of Object.entries(c.alpha_pattern)) check(typeof v === 'number' && v > 0, `alpha_pattern['${k}'] must be a positive number`);
  } else if (c.peft_type === 'ADALORA') {
    validateAdaLora(c);
  } else if (c.peft_type === 'IA3') {
    checkTargets('target_modules', c.target_modules);
    checkTargets('feedforward_modules', c.feedforward_modules);
    check(isEmpty(c.modules_to_save), 'modules_to_save is not supported');
    if (Array.isArray(c.target_modules) && Array.isArray(c.feedforward_modules)) {
      const t = new Set(c.target_modules);
      const extra = c.feedforward_modules.filter((f) => !t.has(f));
      check(extra.length === 0, `feedforward_modules should be a subset of target_modules (not in target_modules: ${extra.join(', ')})`);
    }
  } else {
    check(c.task_type === 'CAUSAL_LM', 'prompt learning needs task_type CAUSAL_LM');
    check(posInt(c.num_virtual_tokens), `num_virtual_tokens is required: a positive integer, e.g. 20 (got ${c.num_virtual_tokens})`);
    check(c.num_transformer_submodules === null || c.num_transformer_submodules === 1, 'num_transformer_submodules must be 1 for a decoder-only model');
    if (c.peft_type === 'PREFIX_TUNING') check(c.prefix_projection === false, 'prefix_projection=true (the MLP reparametrisation) is not supported');
    else if (c.peft_type === 'P_TUNING') {
      check(c.encoder_reparameterization_type === 'MLP' || c.encoder_reparameterization_type === 'LSTM', `encoder_reparameterization_type '${c.encoder_reparameterization_type}' is not supported (MLP or LSTM)`);
      check(c.encoder_hidden_size === null || posInt(c.encoder_hidden_size), `encoder_hidden_size must be a positive integer or null (got ${c.encoder_hidden_size})`);
      check(posInt(c.encoder_num_layers), `encoder_num_layers must be a positive integer (got ${c.encoder_num_layers})`);
      check(c.encoder_dropout === 0, `encoder_dropout ${c.encoder_dropout} is not supported (only 0)`);
    } else check(c.prompt_tuning_init === 'RANDOM' || c.prompt_tuning_init === 'TEXT', `prompt_tuning_init '${c.prompt_tuning_init}' is not supported (RANDOM or TEXT)`);
  }
}

/** AdaLoraConfig.__post_init__ and the RankAllocator's asserts, plus the LoRA fields AdaLoRA shares. */
function validateAdaLora(c: AdaLoraConfig): void {
  const nonNeg = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  check(nonNeg(c.init_r), `init_r must be a non-negative integer (got ${c.init_r})`);
  check(nonNeg(c.target_r), `target_r must be a non-negative integer (got ${c.target_r})`);
  check(c.target_r <= c.init_r, `target_r (${c.target_r}) must not exceed init_r (${c.init_r}): the allocator only removes ranks`);
  check(nonNeg(c.tinit) && nonNeg(c.tfinal), `tinit and tfinal must be non-negative integers (got ${c.tinit}, ${c.tfinal})`);
  check(posInt(c.deltaT), `deltaT must be a positive integer (got ${c.deltaT})`);
  check(typeof c.beta1 === 'number' && c.beta1 > 0 && c.beta1 < 1 && typeof c.beta2 === 'number' && c.beta2 > 0 && c.beta2 < 1, `beta1 and beta2 must be in (0, 1) (got ${c.beta1}, ${c.beta2})`);
  check(typeof c.orth_reg_weight === 'number' && c.orth_reg_weight > 0, `orth_reg_weight must be greater than 0 (got ${c.orth_reg_weight})`);
  check(c.total_step === null || posInt(c.total_step), `total_step must be a positive integer or null (got ${c.total_step})`);
  if (c.total_step !== null) check(c.tinit + c.tfinal < c.total_step, `tinit + tfinal (${c.tinit} + ${c.tfinal}) must be less than total_step (${c.total_step}): no step would be left to allocate ranks`);
  check(typeof c.lora_alpha === 'number' && c.lora_alpha >= 0, `lora_alpha must be a non-negative number (got ${c.lora_alpha})`);
  check(typeof c.lora_dropout === 'number' && c.lora_dropout >= 0 && c.lora_dropout < 1, `lora_dropout must be in [0, 1) (got ${c.lora_dropout})`);
  checkTargets('target_modules', c.target_modules);
  check(c.bias === 'none', `bias '${c.bias}' is not supported (only 'none')`);
  check(!c.use_dora, 'ADALORA does not support DoRA (PEFT refuses it too)');
  check(!c.use_rslora, 'use_rslora is not supported with AdaLoRA (its scaling is lora_alpha / ranknum)');
  check(c.init_lora_weights === true || c.init_lora_weights === false, `init_lora_weights '${c.init_lora_weights}' is not supported for AdaLoRA (true or false)`);
  check(isEmpty(c.loftq_config), 'ADALORA does not support LOFTQ (PEFT refuses it too)');
  check(isEmpty(c.modules_to_save), 'modules_to_save is not supported (only adapter weights are trained)');
  check(isEmpty(c.layer_replication), 'layer_replication is not supported');
  check(isEmpty(c.megatron_config), 'megatron_config is not supported');
  check(isEmpty(c.alpha_pattern), 'alpha_pattern is not supported for AdaLoRA');
  check(typeof c.target_modules !== 'string' || (c.layers_to_transform === null && c.layers_pattern === null), 'layers_to_transform / layers_pattern cannot be used when target_modules is a str (PEFT refuses it too)');
  for (const [k, v] of Object.entries(c.rank_pattern ?? {})) {
    check(Array.isArray(v) && v.length === c.init_r && v.every((b) => typeof b === 'boolean'), `rank_pattern['${k}'] must be a list of init_r (${c.init_r}) booleans`);
  }
}

function build<T extends PeftConfig>(type: PeftType, o: Partial<T>): T {
  const c = { ...DEFAULTS[type], ...o, peft_type: type } as T;
  validatePeftConfig(c);
  return c;
}

export const loraConfig = (o: Partial<LoraConfig> = {}): LoraConfig => build('LORA', o);
export const ia3Config = (o: Partial<IA3Config> = {}): IA3Config => build('IA3', o);
export const promptTuningConfig = (o: Partial<PromptTuningConfig> = {}): PromptTuningConfig => build('PROMPT_TUNING', o);
export const prefixTuningConfig = (o: Partial<PrefixTuningConfig> = {}): PrefixTuningConfig => build('PREFIX_TUNING', o);
export const pTuningConfig = (o: Partial<PromptEncoderConfig> = {}): PromptEncoderConfig => build('P_TUNING', o);
export const adaLoraConfig = (o: Partial<AdaLoraConfig> = {}): AdaLoraConfig => build('ADALORA', o);

/**
 * Fields peft >= 0.17 writes with a value that changes nothing here: its own version (0.18+), and QA-LoRA's group
 * size (16 by default) while use_qalora is off. LLaMA-Factory pins peft 0.18, so its adapters carry both.
 */
function inertNewerField(k: string, v: unknown, r: Record<string, unknown>): boolean {
  return (k === 'peft_version' && typeof v === 'string') || (k === 'qalora_group_size' && typeof v === 'number' && !r.use_qalora);
}

/**
 * A parsed adapter_config.json -> typed config. Fields we do not know are ignored when they hold a default-like
 * value (null, false, {}, []) -- newer PEFT versions add such fields -- or an inert one (inertNewerField), and
 * refused otherwise.
 */
export function parsePeftConfig(raw: unknown): PeftConfig {
  check(typeof raw === 'object' && raw !== null && !Array.isArray(raw), 'adapter_config.json must hold a JSON object');
  const r = raw as Record<string, unknown>;
  const type = r.peft_type as PeftType;
  check(typeof type === 'string' && type in DEFAULTS, `peft_type '${String(r.peft_type)}' is not supported (${Object.keys(DEFAULTS).join(', ')})`);
  const known = DEFAULTS[type] as unknown as Record<string, unknown>;
  const picked: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) {
    if (k in known) picked[k] = v;
    else check(isEmpty(v) || inertNewerField(k, v, r), `adapter_config.json field '${k}' = ${JSON.stringify(v)} is not supported`);
  }
  if ((type === 'LORA' || type === 'ADALORA') && picked.loftq_config === undefined) picked.loftq_config = {};
  return build(type, picked as Partial<PeftConfig>);
}

/** adapter_config.json text as PEFT writes it: sorted keys, indent 2, inference_mode true, target lists as lists. */
export function peftConfigJson(c: PeftConfig): string {
  const o: Record<string, unknown> = { ...c, inference_mode: true };
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) sorted[k] = o[k];
  return JSON.stringify(sorted, null, 2);
}
