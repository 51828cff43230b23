/**
 * adapter_config.json + adapter_model.safetensors exactly as peft 0.13's save_pretrained writes them: keys without
 * the adapter name ('...q_proj.lora_A.weight', '...lora_magnitude_vector', '...ia3_l', 'prompt_embeddings'), HF
 * layout (A [r, in], B [out, r] even for Conv1D; ia3_l [out, 1] or [1, in]; prompt_embeddings [n, dim]), F32,
 * metadata {"format": "pt"}. AdaLoRA: '...lora_A' [r, in], '...lora_E' [r, 1], '...lora_B' [out, r], resized to the kept ranks
 * when the config has a rank_pattern. Loading checks every key and shape against the model and config, with clear errors.
 * Pure: bytes and text in and out, no filesystem. Not handled: adapter_model.bin (pickle), several adapters per file.
 */
import { tf } from '../kernels/tf';
import { transpose2d } from '../model/load';
import { bytesReader, SafetensorsFile, writeSafetensors, type WritableTensor } from '../model/safetensors';
import { linearModules } from '../model/weights';
import type { Model } from '../model/types';
import { parsePeftConfig, peftConfigJson, PeftConfigError, type PeftConfig } from './config';
import type { Adapter } from './adapter';
import { attachAdapter } from './attach';
import { attachPTuningEmbeddings, pTuningSaveTensors } from './p-tuning';
import { resizeByRankPattern } from './adalora';

export class AdapterFileError extends Error {
  override name = 'AdapterFileError';
}

export interface AdapterFiles {
  /** adapter_config.json text. */
  config: string;
  /** adapter_model.safetensors bytes. */
  weights: Uint8Array;
}

interface Layout {
  /** The tensor's shape in the PEFT file. */
  hfShape: number[];
  /** Our layout <-> HF layout, on row-major data. */
  toHf(d: Float32Array): Float32Array;
  fromHf(d: Float32Array): Float32Array;
  /** For messages: what the shape means. */
  why: string;
}

const same = (d: Float32Array) => d;

/** How every parameter of the adapter is laid out in the PEFT file. */
function layouts(adapter: Adapter): Map<string, Layout> {
  const out = new Map<string, Layout>();
  const keyOf = new Map([...adapter.params].map(([k, v]) => [v, k]));
  for (const m of adapter.modules.values()) {
    if (m.kind === 'lora') {
      const { inDim: I, outDim: O, r } = m;
      out.set(keyOf.get(m.a)!, { hfShape: [r, I], toHf: (d) => transpose2d(d, I, r), fromHf: (d) => transpose2d(d, r, I), why: `[r, in] with r=${r}, in=${I}` });
      out.set(keyOf.get(m.b)!, { hfShape: [O, r], toHf: (d) => transpose2d(d, r, O), fromHf: (d) => transpose2d(d, O, r), why: `[out, r] with out=${O}, r=${r}` });
      if (m.magnitude) out.set(keyOf.get(m.magnitude)!, { hfShape: [O], toHf: same, fromHf: same, why: `[out] with out=${O}` });
    } else if (m.kind === 'adalora') {
      const { inDim: I, outDim: O, r } = m;
      out.set(keyOf.get(m.a)!, { hfShape: [r, I], toHf: (d) => transpose2d(d, I, r), fromHf: (d) => transpose2d(d, r, I), why: `[r, in] with r=${r}, in=${I}` });
      out.set(keyOf.get(m.e)!, { hfShape: [r, 1], toHf: same, fromHf: same, why: `[r, 1] with r=${r}` });
      out.set(keyOf.get(m.b)!, { hfShape: [O, r], toHf: (d) => transpose2d(d, r, O), fromHf: (d) => transpose2d(d, O, r), why: `[out, r] with out=${O}, r=${r}` });
    } else {
      const hfShape = m.feedforward ? [1, m.inDim] : [m.outDim, 1];
      out.set(keyOf.get(m.l)!, { hfShape, toHf: same, fromHf: same, why: m.feedforward ? `[1, in] (feed-forward) with in=${m.inDim}` : `[out, 1] with out=${m.outDim}` });
    }
  }
  for (const [k, v] of adapter.params) if (!out.has(k)) out.set(k, { hfShape: [...v.shape], toHf: same, fromHf: same, why: `[${v.shape}]` });
  return out;
}

/** The adapter's tensors in PEFT's names and layout. */
export async function adapterTensors(adapter: Adapter): Promise<Record<string, WritableTensor>> {
  if (adapter.method === 'P_TUNING') return pTuningSaveTensors(adapter); // PEFT saves only the encoder output
  const out: Record<string, WritableTensor> = {};
  for (const [key, lay] of layouts(adapter)) {
    const data = Float32Array.from((await adapter.params.get(key)!.data()) as Float32Array);
    out[key] = { shape: lay.hfShape, data: lay.toHf(data) };
  }
  // AdaLoRA after an allocation: only the kept ranks are written, as PEFT's save_pretrained does.
  return adapter.config.peft_type === 'ADALORA' ? resizeByRankPattern(adapter.config, out) : out;
}

/** save_pretrained(): adapter_config.json and adapter_model.safetensors. */
export async function saveAdapter(adapter: Adapter, opts: { baseModelNameOrPath?: string } = {}): Promise<AdapterFiles> {
  const config = { ...adapter.config, base_model_name_or_path: opts.baseModelNameOrPath ?? adapter.config.base_model_name_or_path } as PeftConfig;
  return { config: peftConfigJson(config), weights: writeSafetensors(await adapterTensors(adapter), { format: 'pt' }) };
}

function parseConfigText(text: string | object): PeftConfig {
  if (typeof text !== 'string') return parsePeftConfig(text);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new PeftConfigError('adapter_config.json is not valid JSON');
  }
  return parsePeftConfig(raw);
}

/** Why a key of the file has no place in this adapter, in words. */
function unknownKeyReason(model: Model, key: string): string {
  const m = /^base_model\.model\.(.+)\.(lora_A\.weight|lora_B\.weight|lora_magnitude_vector|ia3_l|lora_[AEB])$/.exec(key);
  if (!m) return `'${key}' is not a key this loader knows (PEFT LoRA / DoRA / IA3 / prompt keys, adapter name stripped)`;
  const isLinear = linearModules(model.config).some((l) => l.hf === m[1]);
  if (!isLinear) return `'${key}' names module '${m[1]}', which is not a linear module of this ${model.config.family} model (${model.config.layers} layers)`;
  return `'${key}': module '${m[1]}' is not selected by adapter_config.json (target_modules / use_dora / feedforward_modules)`;
}

/**
 * PeftModel.from_pretrained(model, dir): builds the adapter the config describes on `model` and fills it from the
 * safetensors bytes. Throws AdapterFileError for a missing or unexpected key or a wrong shape (e.g. another r).
 */
export async function loadAdapter(model: Model, files: { config: string | object; weights: Uint8Array }, opts: { seed?: number } = {}): Promise<Adapter> {
  const config = parseConfigText(files.config);
  // A saved TEXT init is overwritten by the file: attach with RANDOM, then restore the field.
  const attachCfg = config.peft_type === 'PROMPT_TUNING' ? { ...config, prompt_tuning_init: 'RANDOM' as const } : config;
  const file = await SafetensorsFile.open(bytesReader(files.weights), 'adapter_model.safetensors');
  // P-tuning files hold only the encoder output: loaded, as PEFT loads it, as fixed prompt_embeddings.
  const adapter = config.peft_type === 'P_TUNING' ? attachPTuningEmbeddings(model, config, opts) : attachAdapter(model, attachCfg, opts);
  if (config.peft_type === 'PROMPT_TUNING') adapter.config = { ...(adapter.config as typeof config), prompt_tuning_init: config.prompt_tuning_init };
  try {
    const lay = layouts(adapter);
    const extra = file.names().filter((k) => !lay.has(k));
    if (extra.length) throw new AdapterFileError(`adapter_model.safetensors: ${unknownKeyReason(model, extra[0])}${extra.length > 1 ? ` (and ${extra.length - 1} more unexpected keys)` : ''}`);
    const missing = [...lay.keys()].filter((k) => !file.has(k));
    if (missing.length) throw new AdapterFileError(`adapter_model.safetensors lacks '${missing[0]}'${missing.length > 1 ? ` (and ${missing.length - 1} more keys)` : ''}, which adapter_config.json implies`);
    for (const [key, l] of lay) {
      const t = await file.float32(key);
      if (t.shape.join(',') !== l.hfShape.join(',')) {
        throw new AdapterFileError(`adapter_model.safetensors: '${key}' has shape [${t.shape}], expected ${l.why} from adapter_config.json and the model`);
      }
      const v = adapter.params.get(key)!;
      tf.tidy(() => v.assign(tf.tensor(l.fromHf(t.data), v.shape, 'float32')));
    }
  } catch (e) {
    adapter.dispose();
    throw e;
  }
  return adapter;
}
