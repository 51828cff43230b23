/**
 * The generate worker's model: the same ModelSpec the session worker loaded (embedded URL, hub repo through the
 * Cache API the session already filled, or dropped files sent again), quantized as the spec asks, loaded with its
 * tokenizer, and described as the session describes it. Not here: training state of any kind, or a second model (one at a time).
 */
import { loadModel, type ModelSource } from '../model/load';
import type { Model } from '../model/types';
import { allLinearNames } from '../peft';
import { hasChatTemplate } from '../tokenizer/chat-template';
import { withBuiltinTemplate } from '../tokenizer/glm-templates';
import { loadTokenizer, type TextTokenizer } from '../tokenizer/tokenizer';
import type { LoadProgress, ModelInfo, ModelSpec } from '../protocol/train-api';
import { hubSource, memorySource, urlSource } from './model-sources';
import { asDeviceError } from './session';
import { quantInfo, quantizerOf } from './model-quant';

export interface LoadedModel {
  model: Model;
  source: ModelSource;
  tok: TextTokenizer | null;
  info: ModelInfo;
}

export function sourceOf(spec: ModelSpec, signal: AbortSignal, onProgress: (p: LoadProgress) => void): ModelSource {
  if ('files' in spec) return memorySource(spec.files, spec.label);
  if ('hub' in spec) return hubSource(spec.hub, { signal, onProgress });
  return urlSource(spec.baseUrl, { label: spec.label, signal, onProgress });
}

export async function loadForChat(spec: ModelSpec, signal: AbortSignal, onProgress: (p: LoadProgress) => void): Promise<LoadedModel> {
  const source = sourceOf(spec, signal, onProgress);
  const quantizer = quantizerOf(spec.quantize); // the same frozen base the adapter was trained on
  let model: Model;
  try {
    model = await loadModel(source, { quantizer });
  } catch (e) {
    throw asDeviceError(Object.assign(new Error(`The model at ${source.label} could not be loaded for chat: ${(e as Error).message}`), { details: String((e as Error).stack ?? e) }), null);
  }
  if (signal.aborted) {
    model.dispose();
    signal.throwIfAborted();
  }
  const tokJson = await source.readText('tokenizer.json');
  const tokCfg = await source.readText('tokenizer_config.json');
  const tok = tokJson ? loadTokenizer(JSON.parse(tokJson), withBuiltinTemplate(tokCfg ? JSON.parse(tokCfg) : null, model.config.family)) : null;
  const c = model.config;
  let parameters = 0;
  for (const [name, t] of model.weights) if (!(name === 'lm_head.w' && c.tieEmbeddings)) parameters += t.size;
  const info: ModelInfo = {
    label: source.label, family: c.family, layers: c.layers, hidden: c.hidden, heads: c.heads, kvHeads: c.kvHeads, vocabSize: c.vocabSize, parameters,
    hasTokenizer: tok !== null, promptFormat: tok && hasChatTemplate(tok) ? 'chat template' : 'alpaca', linearModules: allLinearNames(c),
    quantized: quantInfo(model, quantizer?.spec ?? null),
  };
  return { model, source, tok, info };
}
