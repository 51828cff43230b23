/**
 * Which linear modules an adapter wraps, decided exactly as peft 0.13's `check_target_module_exists` on the HF module
 * paths of linearModules(cfg) (e.g. 'model.layers.0.self_attn.q_proj'): a list entry matches a path equal to it or
 * ending in '.' + entry (then layers_to_transform filters by layer index); a string is a full-match regex;
 * 'all-linear' is every linear but the lm_head (stored, as PEFT does, as the set of their last path components).
 * Also PEFT's per-family default targets, and its rank_pattern / alpha_pattern lookup. Python-only regex syntax is not translated.
 */
import type { Family, ModelConfig } from '../model/config';
import { linearModules } from '../model/weights';
import { PeftConfigError } from './config';

export interface LinearModule {
  /** Our module name, e.g. 'layers.0.q' (the LinearFn name; weight `${ours}.w`). */
  ours: string;
  /** HF module path, e.g. 'model.layers.0.self_attn.q_proj'. */
  hf: string;
  /** GPT-2 Conv1D: HF stores it [in, out] (fan_in_fan_out). Our layout is [in, out] either way. */
  conv1d: boolean;
  inDim: number;
  outDim: number;
}

/** TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING (peft 0.13); phi3 has none, so PEFT asks for target_modules. */
export const DEFAULT_LORA_TARGETS: Partial<Record<Family, string[]>> = {
  llama: ['q_proj', 'v_proj'], qwen2: ['q_proj', 'v_proj'], gemma: ['q_proj', 'v_proj'], gemma2: ['q_proj', 'v_proj'],
  gpt2: ['c_attn'], bloom: ['query_key_value'],
  // PEFT keys it by model_type 'chatglm', which both ChatGLM versions say.
  chatglm: ['query_key_value'], chatglm2: ['query_key_value'],
};
/** TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING and ..._FEEDFORWARD_MODULES_MAPPING. */
export const DEFAULT_IA3_TARGETS: Partial<Record<Family, { targets: string[]; feedforward: string[] }>> = {
  llama: { targets: ['k_proj', 'v_proj', 'down_proj'], feedforward: ['down_proj'] },
  qwen2: { targets: ['q_proj', 'v_proj', 'down_proj'], feedforward: ['down_proj'] },
  gemma: { targets: ['q_proj', 'v_proj', 'down_proj'], feedforward: ['down_proj'] },
  gemma2: { targets: ['q_proj', 'v_proj', 'down_proj'], feedforward: ['down_proj'] },
  gpt2: { targets: ['c_attn', 'mlp.c_proj'], feedforward: ['mlp.c_proj'] },
  bloom: { targets: ['query_key_value', 'mlp.dense_4h_to_h'], feedforward: ['mlp.dense_4h_to_h'] },
};

export interface LayerFilter {
  layers_to_transform?: number[] | number | null;
  layers_pattern?: string[] | string | null;
}

/** Python re.fullmatch as a JS RegExp. */
const fullMatch = (pattern: string, key: string) => new RegExp(`^(?:${pattern})$`).test(key);

/** PEFT's check_target_module_exists for one module path. */
export function targetMatches(targets: string[] | string, key: string, filter: LayerFilter = {}): boolean {
  if (typeof targets === 'string') return fullMatch(targets, key);
  if (targets.includes(key)) return true;
  if (!targets.some((t) => key.endsWith(`.${t}`))) return false;
  const idx = filter.layers_to_transform;
  if (idx === null || idx === undefined || (Array.isArray(idx) && idx.length === 0)) return true;
  const pat = filter.layers_pattern;
  let m: RegExpMatchArray | null = null;
  if (pat === null || pat === undefined || pat.length === 0) m = key.match(/^.*\.[^.]*\.(\d+)\./);
  else for (const p of typeof pat === 'string' ? [pat] : pat) if ((m = key.match(new RegExp(`^.*\\.${p}\\.(\\d+)\\.`)))) break;
  if (!m) return false;
  const layer = Number(m[1]);
  return typeof idx === 'number' ? layer === idx : idx.includes(layer);
}

/** IA3's feed-forward test: a plain `endswith` (no '.' boundary), or a full-match regex. */
export function isFeedforward(feedforward: string[] | string | null, key: string): boolean {
  if (feedforward === null) return false;
  if (typeof feedforward === 'string') return fullMatch(feedforward, key);
  return feedforward.some((f) => key.endsWith(f));
}

/** PEFT's `all-linear` expansion: the last path component of every linear module (the lm_head is never among them). */
export function allLinearNames(cfg: ModelConfig): string[] {
  return [...new Set(linearModules(cfg).map((m) => m.hf.slice(m.hf.lastIndexOf('.') + 1)))].sort();
}

/** Resolves null (family default) and 'all-linear' to what PEFT stores in the saved config. */
export function resolveTargetModules(cfg: ModelConfig, targets: string[] | string | null, defaults: string[] | undefined): string[] | string {
  if (targets === null) {
    if (!defaults) throw new PeftConfigError(`no default target_modules for model_type '${cfg.family}': please specify target_modules`);
    return [...defaults];
  }
  if (typeof targets === 'string' && targets.toLowerCase() === 'all-linear') return allLinearNames(cfg);
  return targets;
}

/** The linear modules the targets select, in model order. Throws (as PEFT does) when nothing matches. */
export function selectModules(cfg: ModelConfig, targets: string[] | string, filter: LayerFilter = {}): LinearModule[] {
  const all = linearModules(cfg);
  const picked = all.filter((m) => targetMatches(targets, m.hf, filter));
  if (picked.length === 0) {
    const names = allLinearNames(cfg).join(', ');
    throw new PeftConfigError(`target modules ${JSON.stringify(targets)} not found in the base model (${cfg.family} linear modules: ${names})`);
  }
  return picked;
}

/** rank_pattern / alpha_pattern lookup as PEFT 0.13: the first key k (rank keys, then alpha keys) with `.*\.k$` matching. */
export function rankAndAlpha(c: { r: number; lora_alpha: number; rank_pattern: Record<string, number>; alpha_pattern: Record<string, number> }, key: string): { r: number; alpha: number } {
  const keys = [...Object.keys(c.rank_pattern), ...Object.keys(c.alpha_pattern)];
  const hit = keys.find((k) => new RegExp(`^.*\\.${k}$`).test(key)) ?? key;
  return { r: c.rank_pattern[hit] ?? c.r, alpha: c.alpha_pattern[hit] ?? c.lora_alpha };
}
