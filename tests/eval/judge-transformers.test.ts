/**
 * The transformers.js judge backend (src/eval/judge-transformers.ts) against a stand-in module (no ONNX model is
 * run here): lazy loading, the pipeline arguments (task, repo, dtype, device, revision, remote host), chat-template
 * and plain prompts, greedy settings, one load for many prompts, a retry after a failed load, dispose and abort.
 */
import { describe, expect, it } from 'vitest';
import { transformersJudge, type TextGenerationPipelineLike, type TransformersModuleLike } from '../../src/eval/judge-transformers';

function stubModule(opts: { chatTemplate: boolean; failFirst?: boolean }) {
  const log = { loads: 0, pipelineArgs: [] as unknown[][], calls: [] as { input: unknown; options: Record<string, unknown> }[], disposed: 0 };
  const env = { remoteHost: 'https://huggingface.co/', allowLocalModels: true, cacheDir: null as string | null };
  const mod: TransformersModuleLike = {
    env,
    async pipeline(task, model, options) {
      log.pipelineArgs.push([task, model, options]);
      if (opts.failFirst && log.pipelineArgs.length === 1) throw new Error('fetch failed');
      const pipe = (async (input: unknown, options: Record<string, unknown>) => {
        log.calls.push({ input, options });
        const reply = `7 3\nreply ${log.calls.length}`;
        return Array.isArray(input) ? [{ generated_text: [...input, { role: 'assistant', content: reply }] }] : [{ generated_text: reply }];
      }) as TextGenerationPipelineLike;
      pipe.tokenizer = { chat_template: opts.chatTemplate ? '{{ messages }}' : undefined };
      pipe.dispose = () => void log.disposed++;
      return pipe;
    },
  };
  return { log, env, load: async () => { log.loads++; return mod; } };
}

const prompts = [{ system: 'S', user: 'U1' }, { system: 'S', user: 'U2' }];

describe('transformersJudge', () => {
  it('loads lazily, once, with the repo, dtype and device; sends chat messages greedily', async () => {
    const s = stubModule({ chatTemplate: true });
    const judge = transformersJudge({ repo: 'onnx-community/Qwen2.5-0.5B-Instruct', revision: 'abc', device: 'wasm', remoteHost: 'http://127.0.0.1:9/', maxNewTokens: 16, loadModule: s.load });
    expect(s.log.loads).toBe(0);
    expect(judge.label).toBe('hf:onnx-community/Qwen2.5-0.5B-Instruct@abc (q4, wasm)');
    expect(await judge.rate(prompts)).toEqual(['7 3\nreply 1', '7 3\nreply 2']);
    expect(await judge.rate(prompts.slice(0, 1))).toEqual(['7 3\nreply 3']);
    expect(s.log.loads).toBe(1);
    expect(s.log.pipelineArgs).toEqual([['text-generation', 'onnx-community/Qwen2.5-0.5B-Instruct', { dtype: 'q4', device: 'wasm', revision: 'abc' }]]);
    expect(s.env).toMatchObject({ remoteHost: 'http://127.0.0.1:9/', allowLocalModels: false });
    expect(s.log.calls[0]).toEqual({ input: [{ role: 'system', content: 'S' }, { role: 'user', content: 'U1' }], options: { max_new_tokens: 16, do_sample: false, return_full_text: false } });
    await judge.dispose!();
    expect(s.log.disposed).toBe(1);
  });

  it('q4f16 on webgpu; plain "system\\n\\nuser" text without a chat template', async () => {
    const s = stubModule({ chatTemplate: false });
    const judge = transformersJudge({ repo: 'o/m', device: 'webgpu', loadModule: s.load });
    expect(judge.label).toBe('hf:o/m (q4f16, webgpu)');
    expect(await judge.rate(prompts.slice(0, 1))).toEqual(['7 3\nreply 1']);
    expect(s.log.calls[0].input).toBe('S\n\nU1');
    expect((s.log.pipelineArgs[0][2] as Record<string, unknown>).dtype).toBe('q4f16');
  });

  it('defaults to cpu in Node, retries a failed load, and stops on abort', async () => {
    const s = stubModule({ chatTemplate: true, failFirst: true });
    const judge = transformersJudge({ repo: 'o/m', loadModule: s.load });
    expect(judge.label).toBe('hf:o/m (q4, cpu)');
    await expect(judge.rate(prompts)).rejects.toThrow('fetch failed');
    expect(await judge.rate(prompts.slice(0, 1))).toHaveLength(1);
    expect(s.log.pipelineArgs).toHaveLength(2);
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(judge.rate(prompts, ac.signal)).rejects.toThrow('stop');
    expect(s.log.calls).toHaveLength(1);
  });
});
