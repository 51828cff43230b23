/**
 * A Judge (data/judge.ts) on a real instruct model run by `@huggingface/transformers` (ONNX Runtime): for example
 * onnx-community/Qwen2.5-0.5B-Instruct at q4 on wasm / q4f16 on WebGPU in a tab, or on cpu (onnxruntime-node) in
 * Node. The package is imported lazily on the first rate() call, so it costs nothing until a judge is used. Each
 * prompt goes through the model's chat template (system + user) and is decoded greedily (AlpaGasus asked for
 * temperature 0); a model without a chat template gets "system\n\nuser" as plain text. One prompt at a time.
 * Not handled: sampling, batching, models other than text-generation pipelines.
 */
import type { Judge, JudgePrompt } from '../data/judge';
import { currentBackend } from '../platform/backend';
import { runtime } from '../platform/env';

export type OnnxDtype = 'q4' | 'q4f16' | 'q8' | 'int8' | 'fp16' | 'fp32';
export type OnnxDevice = 'webgpu' | 'wasm' | 'cpu';

type ChatMessage = { role: string; content: string };

/** The part of a transformers.js text-generation pipeline this backend uses. */
export interface TextGenerationPipelineLike {
  (input: string | ChatMessage[], options: Record<string, unknown>): Promise<{ generated_text: string | ChatMessage[] }[]>;
  tokenizer?: { chat_template?: unknown } | null;
  dispose?(): Promise<unknown> | unknown;
}

/** The part of the `@huggingface/transformers` module this backend uses. */
export interface TransformersModuleLike {
  pipeline(task: 'text-generation', model: string, options: Record<string, unknown>): Promise<TextGenerationPipelineLike>;
  env: { remoteHost: string; allowLocalModels: boolean; cacheDir?: string | null };
}

export interface TransformersJudgeOptions {
  /** Hub repo with ONNX weights (onnx/model_q4.onnx ...), e.g. 'onnx-community/Qwen2.5-0.5B-Instruct'. */
  repo: string;
  revision?: string;
  /** Default q4f16 on webgpu, q4 elsewhere. */
  dtype?: OnnxDtype;
  /** Default: webgpu when this tab's tfjs backend is webgpu, wasm in other browsers and workers, cpu in Node. */
  device?: OnnxDevice;
  /** Tokens per answer; the scores are on the first line. Default 64. */
  maxNewTokens?: number;
  /** A hub mirror or a test's local hub route, e.g. 'http://127.0.0.1:8080/' (transformers.js env.remoteHost). */
  remoteHost?: string;
  /** Node: where downloaded files are cached (transformers.js env.cacheDir). */
  cacheDir?: string;
  onProgress?: (p: { status: string; file?: string; loaded?: number; total?: number }) => void;
  /** For tests: a stand-in for `import('@huggingface/transformers')`. */
  loadModule?: () => Promise<TransformersModuleLike>;
}

export function defaultDevice(): OnnxDevice {
  if (runtime() === 'node') return 'cpu';
  return currentBackend()?.name === 'webgpu' ? 'webgpu' : 'wasm';
}

/**
 * The assistant's reply in a pipeline output: the last chat message's content, or the string as returned, without
 * leading whitespace (the pipeline cuts the prompt's text off the decoded sequence, which can leave a space).
 */
function replyOf(out: { generated_text: string | ChatMessage[] }[]): string {
  const g = out[0]?.generated_text;
  if (typeof g === 'string') return g.trimStart();
  const last = Array.isArray(g) ? g[g.length - 1] : undefined;
  if (!last || last.role !== 'assistant' || typeof last.content !== 'string') throw new Error('transformers.js answered without an assistant message');
  return last.content.trimStart();
}

export function transformersJudge(o: TransformersJudgeOptions): Judge {
  const device = o.device ?? defaultDevice();
  const dtype = o.dtype ?? (device === 'webgpu' ? 'q4f16' : 'q4');
  const load = o.loadModule ?? (() => import('@huggingface/transformers') as unknown as Promise<TransformersModuleLike>);
  let pipe: Promise<TextGenerationPipelineLike> | null = null;
  const open = () =>
    (pipe ??= load().then((m) => {
      if (o.remoteHost) m.env.remoteHost = o.remoteHost.endsWith('/') ? o.remoteHost : `${o.remoteHost}/`;
      if (o.cacheDir) m.env.cacheDir = o.cacheDir;
      m.env.allowLocalModels = false;
      return m.pipeline('text-generation', o.repo, { dtype, device, ...(o.revision ? { revision: o.revision } : {}), ...(o.onProgress ? { progress_callback: o.onProgress } : {}) });
    }).catch((e: unknown) => {
      pipe = null; // a failed download or load is retried by the next call
      throw e;
    }));
  const generation = { max_new_tokens: o.maxNewTokens ?? 64, do_sample: false, return_full_text: false };

  async function one(p: JudgePrompt, signal?: AbortSignal): Promise<string> {
    const gen = await open();
    signal?.throwIfAborted();
    if (gen.tokenizer?.chat_template) {
      return replyOf(await gen([{ role: 'system', content: p.system }, { role: 'user', content: p.user }], generation));
    }
    return replyOf(await gen(`${p.system}\n\n${p.user}`, generation));
  }

  return {
    label: `hf:${o.repo}${o.revision ? `@${o.revision}` : ''} (${dtype}, ${device})`,
    async rate(prompts, signal) {
      const out: string[] = [];
      for (const p of prompts) {
        signal?.throwIfAborted();
        out.push(await one(p, signal));
      }
      return out;
    },
    async dispose() {
      const p = pipe;
      pipe = null;
      if (p) await (await p.catch(() => null))?.dispose?.();
    },
  };
}
