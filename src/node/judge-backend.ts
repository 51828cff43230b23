/**
 * The CLI's one way to build a Judge (data/judge.ts) from a spec, shared by `webift judge --judge` and `webift data
 * filter --rater`: an http(s) URL of an OpenAI-compatible API (key from an environment variable, never a flag),
 * `local[:MODEL_DIR]` (a webift model in this process), or `hf:owner/name[@revision]` (an ONNX instruct model through
 * transformers.js, loaded lazily; WEBIFT_HUB_HOST points it at a mirror). Bare `local` is the embedded default
 * model. Model code loads only when a local judge is asked for.
 */
import type { Judge } from '../data/judge';
import { openAiRater } from '../data/rater-openai';
import type { OnnxDevice, OnnxDtype } from '../eval/judge-transformers';
import { envVar } from '../platform/env';
import { EMBEDDED_MODEL_DIR } from './embedded-model';
import { UsageError } from './errors';

export interface JudgeSpecOptions {
  /** The flag named in messages: '--judge' or '--rater'. */
  flag: string;
  keyEnv?: string;
  /** Endpoint: the model name sent; default gpt-3.5-turbo (the filter) or what the caller passes. */
  model?: string;
  backend?: string;
  json: boolean;
  maxNewTokens?: number;
  dtype?: string;
  device?: string;
}

const DTYPES: OnnxDtype[] = ['q4', 'q4f16', 'q8', 'int8', 'fp16', 'fp32'];
const DEVICES: OnnxDevice[] = ['cpu', 'wasm', 'webgpu'];

/** The judge, and `dispose` to free what it holds (a local model, an ONNX session). */
export async function makeJudge(spec: string, o: JudgeSpecOptions): Promise<{ judge: Judge; dispose: () => Promise<void> }> {
  if (spec === 'local' || spec.startsWith('local:')) {
    // Bare 'local' is the embedded default model (as `webift serve` without --model): it runs, but judges at noise level.
    const dir = spec === 'local' ? EMBEDDED_MODEL_DIR : spec.slice('local:'.length);
    if (!dir) throw new UsageError(`${o.flag} local: needs a model folder or repo, e.g. local:models/qwen2-0.5b-instruct`);
    const [{ openModel }, { tokenizerFrom }, { localRater }] = await Promise.all([import('./runtime'), import('./model-tokenizer'), import('../eval/local-rater')]);
    const { model, source } = await openModel(dir, o.backend, o.json);
    const tokenizer = await tokenizerFrom(source);
    if (!tokenizer) {
      model.dispose();
      throw new UsageError(`${source.label} has no tokenizer.json: a local judge needs one to read the prompt`);
    }
    const judge = localRater({ model, tokenizer, label: spec, maxPromptTokens: model.config.maxPositions - (o.maxNewTokens ?? 32), ...(o.maxNewTokens ? { maxNewTokens: o.maxNewTokens } : {}) });
    return { judge, dispose: async () => model.dispose() };
  }
  if (spec.startsWith('hf:')) {
    const m = /^hf:([\w.-]+\/[\w.-]+)(?:@([\w./-]+))?$/.exec(spec);
    if (!m) throw new UsageError(`${o.flag} hf: needs a hub repo with ONNX weights, e.g. hf:onnx-community/Qwen2.5-0.5B-Instruct, got '${spec}'`);
    if (o.dtype && !DTYPES.includes(o.dtype as OnnxDtype)) throw new UsageError(`--dtype must be one of ${DTYPES.join(', ')}, got '${o.dtype}'`);
    if (o.device && !DEVICES.includes(o.device as OnnxDevice)) throw new UsageError(`--device must be one of ${DEVICES.join(', ')}, got '${o.device}'`);
    const { transformersJudge } = await import('../eval/judge-transformers');
    const host = envVar('WEBIFT_HUB_HOST');
    const judge = transformersJudge({
      repo: m[1], revision: m[2], dtype: o.dtype as OnnxDtype | undefined, device: o.device as OnnxDevice | undefined,
      ...(host ? { remoteHost: host } : {}), ...(o.maxNewTokens ? { maxNewTokens: o.maxNewTokens } : {}),
    });
    return { judge, dispose: async () => void (await judge.dispose?.()) };
  }
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new UsageError(`${o.flag} must be an http(s) URL of an OpenAI-compatible API (e.g. https://api.openai.com/v1), local:MODEL_DIR or hf:owner/name, got '${spec}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${o.flag} URL must be http(s), got '${spec}'`);
  const keyEnv = o.keyEnv ?? 'OPENAI_API_KEY';
  const apiKey = envVar(keyEnv) || undefined;
  if (!apiKey && (o.keyEnv || url.hostname === 'api.openai.com')) throw new UsageError(`no API key: set ${keyEnv} (the key is read from the environment, never from a flag)`);
  return { judge: openAiRater({ baseUrl: spec, apiKey, model: o.model, ...(o.maxNewTokens ? { maxTokens: o.maxNewTokens } : {}) }), dispose: async () => undefined };
}
