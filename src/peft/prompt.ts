/**
 * Prompt tuning (arXiv:2104.08691) as peft 0.13's PeftModelForCausalLM: n trainable embeddings P [n, C] are
 * prepended to the (frozen) token embeddings: inputs_embeds = [P ; embed(ids)], attention_mask = [1 x n ; mask],
 * labels = [-100 x n ; labels], positions arange(n + T) (PEFT drops position_ids). Logits cover all n + T slots.
 * The real-token lookup is a frozen gather (off the gradient path: wasm has no gather gradient); only P is trained,
 * through a concat. Init RANDOM = N(0, 1) (nn.Embedding); TEXT = the embeddings of given ids, repeated to n.
 */
import { tf } from '../kernels/tf';
import { embedTokens } from '../kernels/embedding';
import { forward } from '../model/transformer';
import { createCache } from '../model/kv-cache';
import type { ForwardInputs, KVCache, Model } from '../model/types';
import { PeftConfigError, promptTuningConfig, type PromptTuningConfig } from './config';
import { makeAdapter, newVariable, type Adapter } from './adapter';
import { mulberry32, normalFill } from './rng';
import type { AttachOptions } from './lora';
import { pTuningEmbeddings } from './p-tuning';

export const PROMPT_KEY = 'prompt_embeddings';

/** Fills the model-derived fields as PEFT's _prepare_prompt_learning_config; checks given ones against the model. */
export function completePromptConfig(model: Model, config: Partial<PromptTuningConfig>): PromptTuningConfig {
  const c = promptTuningConfig(config);
  const m = model.config;
  const want = { token_dim: m.hidden, num_layers: m.layers, num_attention_heads: m.heads, num_transformer_submodules: 1 };
  for (const [k, v] of Object.entries(want)) {
    const got = c[k as keyof typeof want];
    if (got !== null && got !== v) throw new PeftConfigError(`prompt tuning ${k} is ${got} but this model implies ${v}`);
  }
  return { ...c, ...want };
}

export interface PromptAttachOptions extends AttachOptions {
  /** prompt_tuning_init TEXT: the token ids of prompt_tuning_init_text (tokenize it outside peft/). */
  initTokenIds?: number[];
}

/** get_peft_model(model, PromptTuningConfig): a trainable P [n, C]. */
export function attachPromptTuning(model: Model, config: Partial<PromptTuningConfig>, opts: PromptAttachOptions = {}): Adapter {
  const c = completePromptConfig(model, config);
  const n = c.num_virtual_tokens, C = model.config.hidden;
  let p: tf.Variable;
  if (c.prompt_tuning_init === 'TEXT') {
    const ids = opts.initTokenIds;
    if (!ids?.length) throw new PeftConfigError('prompt_tuning_init TEXT needs the token ids of prompt_tuning_init_text (initTokenIds)');
    // PEFT: truncate to n, or repeat the ids until there are n.
    const rows = Array.from({ length: n }, (_, i) => ids[i % ids.length]);
    for (const id of rows) if (!(id >= 0 && id < model.config.vocabSize)) throw new PeftConfigError(`initTokenIds holds ${id}, outside the vocabulary`);
    p = newVariable(() => embedTokens(model.weights.get('embed')!, Int32Array.from(rows), [n]));
  } else {
    p = newVariable(() => tf.tensor2d(normalFill(mulberry32(opts.seed ?? 0), n * C, 1), [n, C]));
  }
  return makeAdapter('PROMPT_TUNING', c, new Map([[PROMPT_KEY, p]]), new Map(), { seed: opts.seed, virtualTokens: n });
}

/** [1 x n ; rows of mask] as (B, n + T). */
export function extendMask(n: number, B: number, T: number, mask?: Int32Array): Int32Array {
  const out = new Int32Array(B * (n + T)).fill(1);
  if (mask) for (let b = 0; b < B; b++) out.set(mask.subarray(b * T, b * T + T), b * (n + T) + n);
  return out;
}

/** [-100 x n ; rows of labels] as (B, n + T). */
export function extendLabels(n: number, B: number, T: number, labels: Int32Array): Int32Array {
  if (labels.length !== B * T) throw new Error(`labels have ${labels.length} values, expected B*T = ${B * T}`);
  const out = new Int32Array(B * (n + T)).fill(-100);
  for (let b = 0; b < B; b++) out.set(labels.subarray(b * T, b * T + T), b * (n + T) + n);
  return out;
}

/** (B, n, C): P repeated over the batch (P-tuning: the encoder output, computed once). */
function virtualEmbeds(adapter: Adapter, B: number): tf.Tensor {
  const p = adapter.method === 'P_TUNING' ? pTuningEmbeddings(adapter) : adapter.params.get(PROMPT_KEY)!; // (n, C)
  return tf.broadcastTo(tf.expandDims(p, 0), [B, ...p.shape]);
}

/** The extended forward inputs (a thunk: call it inside a tidy) plus the extended labels and mask. */
export function promptForwardInputs(model: Model, adapter: Adapter, inp: ForwardInputs, labels?: Int32Array): { inputs: () => ForwardInputs; labels?: Int32Array; attentionMask: Int32Array } {
  const { B, T } = inp;
  const n = adapter.virtualTokens;
  if (inp.ids.length !== B * T) throw new Error(`input_ids has ${inp.ids.length} values, expected B*T = ${B * T}`);
  if (inp.attentionMask && inp.attentionMask.length !== B * T) throw new Error(`attention_mask has ${inp.attentionMask.length} values, expected B*T = ${B * T}`);
  for (const id of inp.ids) if (id < 0 || id >= model.config.vocabSize) throw new Error(`token id ${id} is outside the vocabulary [0, ${model.config.vocabSize})`);
  const attentionMask = extendMask(n, B, T, inp.attentionMask);
  const inputs = (): ForwardInputs => {
    // Frozen lookup of the real tokens; gradients reach only P through the concat.
    const real = inp.inputsEmbeds ?? embedTokens(model.weights.get('embed')!, inp.ids, [B, T]); // (B, T, C)
    const inputsEmbeds = tf.concat([virtualEmbeds(adapter, B), real], 1); // (B, n + T, C)
    return { ids: new Int32Array(B * (n + T)), B, T: n + T, attentionMask, inputsEmbeds };
  };
  return { inputs, labels: labels ? extendLabels(n, B, T, labels) : undefined, attentionMask };
}

/** A cache (B rows) holding the n virtual tokens, computed once: decoding then continues from slot n. */
export function promptPrime(model: Model, adapter: Adapter, B: number): KVCache {
  const n = adapter.virtualTokens;
  const cache = createCache(model.config.layers);
  const inputsEmbeds = tf.tidy(() => virtualEmbeds(adapter, B));
  try {
    const out = forward(model, { ids: new Int32Array(B * n), B, T: n, inputsEmbeds }, { cache, skipHead: true });
    out.finalHidden?.dispose();
  } finally {
    inputsEmbeds.dispose();
  }
  return cache;
}
