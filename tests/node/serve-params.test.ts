/**
 * The server's parameter table alone (no model): OpenAI's defaults (temperature 1 samples, top_k off), the
 * llama.cpp alias, max_tokens against the context as vLLM words it, eos handling for ignore_eos / stop_token_ids,
 * refused fields; and the README's table lists every row's field and webift option.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { finishPlan, PARAM_TABLE, readSampling, type PlanContext } from '../../src/node/serve/params';

const ctx = (o: Partial<PlanContext> = {}): PlanContext => ({ promptTokens: 10, context: 256, defaultMaxTokens: null, modelEos: [2], drawSeed: () => 42, promptParam: 'messages', ...o });

describe('readSampling + finishPlan', () => {
  it("OpenAI's defaults: temperature 1 samples, top_k off, the rest of the context, a drawn seed, the model's eos", () => {
    expect(finishPlan(readSampling({}), ctx())).toEqual({ doSample: true, temperature: 1, topK: 0, maxNewTokens: 246, seed: 42, eosTokenIds: [2] });
  });

  it('temperature 0 is greedy; every mapped field lands on its option', () => {
    const o = finishPlan(readSampling({
      temperature: 0, top_p: 0.9, max_tokens: 5, max_completion_tokens: 7, stop: 'END', seed: 3, frequency_penalty: 0.5, presence_penalty: -0.5,
      top_k: -1, min_p: 0.05, repeat_penalty: 1.1, no_repeat_ngram_size: 3, min_tokens: 2, stop_token_ids: [9], user: 'ignored',
    }), ctx());
    expect(o).toEqual({
      doSample: false, temperature: 1, topK: 0, topP: 0.9, maxNewTokens: 7, stopStrings: ['END'], seed: 3, frequencyPenalty: 0.5, presencePenalty: -0.5,
      minP: 0.05, repetitionPenalty: 1.1, noRepeatNgramSize: 3, minNewTokens: 2, eosTokenIds: [2, 9],
    });
  });

  it('ignore_eos drops the model eos; num_beams without a temperature is beam search (greedy)', () => {
    expect(finishPlan(readSampling({ ignore_eos: true, num_beams: 4, length_penalty: 0.5 }), ctx())).toMatchObject({ eosTokenIds: [], numBeams: 4, doSample: false, lengthPenalty: 0.5 });
  });

  it('max_tokens is checked against the context; the server default caps the rest of it', () => {
    expect(() => finishPlan(readSampling({ max_tokens: 247 }), ctx())).toThrow("This model's maximum context length is 256 tokens. However, you requested 257 tokens (10 in the prompt, 247 in the completion)");
    expect(() => finishPlan(readSampling({}), ctx({ promptTokens: 256 }))).toThrow(/The prompt is 256 tokens/);
    expect(finishPlan(readSampling({}), ctx({ defaultMaxTokens: 16 })).maxNewTokens).toBe(16);
  });

  it.each([
    [{ n: 3 }, 'n'], [{ best_of: 2 }, 'best_of'], [{ logit_bias: { 5: 10 } }, 'logit_bias'], [{ tools: [{}] }, 'tools'],
    [{ response_format: { type: 'json_object' } }, 'response_format'], [{ echo: true }, 'echo'],
    [{ frequency_penalty: 3 }, 'frequency_penalty'], [{ top_k: 1.5 }, 'top_k'], [{ seed: 'x' }, 'seed'], [{ ignore_eos: 1 }, 'ignore_eos'],
    [{ stop_token_ids: [1, -2] }, 'stop_token_ids.1'], [{ stop: Array(17).fill('x') }, 'stop'],
  ])('%j is a 400 naming %s', (body, param) => {
    expect(() => readSampling(body)).toThrow(expect.objectContaining({ status: 400, param }));
  });

  it('n: 1, logprobs: false and null values are accepted as no-ops', () => {
    expect(() => readSampling({ n: 1, logprobs: false, temperature: null, tools: [] })).not.toThrow();
  });
});

describe('the README table', () => {
  it('has a row with every field and its webift option', () => {
    const readme = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Serving (OpenAI-compatible)'));
    const rows = section.split('\n').filter((l) => l.startsWith('| `'));
    for (const p of PARAM_TABLE) {
      const row = rows.find((r) => r.startsWith(`| ${p.names.map((n) => `\`${n}\``).join(', ')} (`));
      expect(row, p.names[0]).toBeDefined();
      expect(row).toContain(`| \`${p.option}\``);
    }
  });
});
