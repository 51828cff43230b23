/**
 * P-tuning (arXiv:2103.10385) as peft 0.13's PeftModelForCausalLM with a PromptEncoderConfig: the virtual tokens
 * are encodePrompt(params) (prompt-encoder.ts), then everything is prompt tuning's (prompt.ts): [virtual ; embed(ids)],
 * mask [1 x n ; mask], labels [-100 x n ; labels], positions arange(n + T). Two forms of the adapter:
 *  - trainable (attachPTuning): the encoder's parameters under PEFT's keys ('prompt_encoder.embedding.weight', ...);
 *  - saved / loaded: only 'prompt_embeddings' [n, C], the encoder output, exactly what PEFT's save_pretrained writes
 *    and from_pretrained uses (as prompt tuning). A loaded adapter that is trained further trains those embeddings.
 */
import { tf, type Tensor } from '../kernels/tf';
import type { Model } from '../model/types';
import { PeftConfigError, pTuningConfig, type PromptEncoderConfig } from './config';
import { makeAdapter, newVariable, type Adapter } from './adapter';
import { encodePrompt, encoderShapes, initEncoder } from './prompt-encoder';
import { PROMPT_KEY } from './prompt';
import type { AttachOptions } from './lora';

/** Fills the model-derived fields as PEFT's _prepare_prompt_learning_config (encoder_hidden_size = token_dim if unset). */
export function completePTuningConfig(model: Model, config: Partial<PromptEncoderConfig>): PromptEncoderConfig {
  const c = pTuningConfig(config);
  const m = model.config;
  const want = { token_dim: m.hidden, num_layers: m.layers, num_attention_heads: m.heads, num_transformer_submodules: 1 };
  for (const [k, v] of Object.entries(want)) {
    const got = c[k as keyof typeof want];
    if (got !== null && got !== v) throw new PeftConfigError(`p-tuning ${k} is ${got} but this model implies ${v}`);
  }
  return { ...c, ...want, encoder_hidden_size: c.encoder_hidden_size ?? m.hidden };
}

/** get_peft_model(model, PromptEncoderConfig): a trainable encoder, seeded. */
export function attachPTuning(model: Model, config: Partial<PromptEncoderConfig>, opts: AttachOptions = {}): Adapter {
  const c = completePTuningConfig(model, config);
  const init = initEncoder(c, opts.seed ?? 0);
  const params = new Map(encoderShapes(c).map(([key, shape]) => [key, newVariable(() => tf.tensor(init.get(key)!, shape, 'float32'))]));
  return makeAdapter('P_TUNING', c, params, new Map(), { seed: opts.seed, virtualTokens: c.num_virtual_tokens });
}

/** PeftModel.from_pretrained's form: prompt_embeddings [n, C] held directly (filled by the caller from the file). */
export function attachPTuningEmbeddings(model: Model, config: Partial<PromptEncoderConfig>, opts: AttachOptions = {}): Adapter {
  const c = completePTuningConfig(model, config);
  const p = newVariable(() => tf.zeros([c.num_virtual_tokens, model.config.hidden]));
  return makeAdapter('P_TUNING', c, new Map([[PROMPT_KEY, p]]), new Map(), { seed: opts.seed, virtualTokens: c.num_virtual_tokens });
}

/** The virtual-token embeddings [n, C]: the encoder output, or the loaded prompt_embeddings. Call inside a tidy. */
export function pTuningEmbeddings(adapter: Adapter): Tensor {
  return adapter.params.get(PROMPT_KEY) ?? encodePrompt(adapter.params, adapter.config as PromptEncoderConfig);
}

/** What save_pretrained writes for P-tuning: only the encoder output, as 'prompt_embeddings' [n, C]. */
export async function pTuningSaveTensors(adapter: Adapter): Promise<Record<string, { shape: number[]; data: Float32Array }>> {
  const e = tf.tidy(() => pTuningEmbeddings(adapter));
  const data = Float32Array.from((await e.data()) as Float32Array);
  const shape = [...e.shape];
  if (!adapter.params.has(PROMPT_KEY)) e.dispose();
  return { [PROMPT_KEY]: { shape, data } };
}
