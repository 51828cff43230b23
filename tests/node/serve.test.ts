/**
 * `webift serve` in-process with the embedded tiny model, called by the official `openai` client: chat and text
 * completions equal generate() on the same prompt and mapped options (greedy, and seeded sampling), streaming
 * deltas add up to the same text and end in [DONE], stop strings cut the reply, usage counts the tokens (and the
 * prompt tokens the prompt cache served), and /v1/models lists the base. The tiny model has no chat template, so a chat prompt is the Alpaca prompt.
 */
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alpacaPrompt } from '../../src/tokenizer/alpaca';
import { chatPromptIds } from '../../src/node/serve/prompts';
import { tf } from '../../src/kernels/tf';
import { freePromptCaches, reference, serveTiny, type Harness } from './serve-harness';

describe('webift serve (openai client)', () => {
  let h: Harness;
  let fruitIds: number[];
  let baseline: number;
  beforeAll(async () => {
    h = await serveTiny();
    fruitIds = h.models.tok.encode(alpacaPrompt('Name a fruit.'));
    baseline = tf.memory().numTensors;
  });
  afterAll(async () => h?.close());
  const base = () => h.models.resolve('webift-tiny');

  it('lists the base model', async () => {
    const list = await h.client.models.list();
    expect(list.data.map((m) => m.id)).toEqual(['webift-tiny']);
    expect((await h.client.models.retrieve('webift-tiny')).object).toBe('model');
  });

  it('chat, greedy: the reply is generate() on the Alpaca prompt, with usage', async () => {
    const r = await h.client.chat.completions.create({ model: 'webift-tiny', messages: [{ role: 'user', content: 'Name a fruit.' }], temperature: 0, max_tokens: 12 });
    const want = await reference(h.models, base(), fruitIds, { maxNewTokens: 12 });
    expect(r.object).toBe('chat.completion');
    expect(r.choices[0].message).toMatchObject({ role: 'assistant', content: want.text });
    expect(r.choices[0].message.content).toMatch(/Apple|Pear/); // as tests/synthetic/webift-tiny.test.ts finds
    expect(r.choices[0].finish_reason).toBe(want.reason === 'length' ? 'length' : 'stop');
    // The first generation of this server: nothing in the prompt cache yet.
    expect(r.usage).toEqual({ prompt_tokens: fruitIds.length, completion_tokens: want.tokens, total_tokens: fruitIds.length + want.tokens, prompt_tokens_details: { cached_tokens: 0 } });
  });

  it('a conversation resent with a new turn takes its shared prefix from the prompt cache and answers as generate()', async () => {
    const first = { role: 'user' as const, content: 'Name a fruit.' };
    const a = await h.client.chat.completions.create({ model: 'webift-tiny', messages: [first], temperature: 0, max_tokens: 8 });
    const messages = [first, { role: 'assistant' as const, content: a.choices[0].message.content! }, { role: 'user' as const, content: 'Name another.' }];
    const b = await h.client.chat.completions.create({ model: 'webift-tiny', messages, temperature: 0, max_tokens: 8 });
    const ids = chatPromptIds(h.models.tok, messages);
    const want = await reference(h.models, base(), ids, { maxNewTokens: 8 });
    expect(b.choices[0].message.content).toBe(want.text);
    // The Alpaca prompt (no chat template here) puts the newest turn first, so what is shared is the start of its
    // preamble (8 tokens: with history it takes the preamble for an instruction with an input).
    const shared = ids.findIndex((t, i) => t !== fruitIds[i]);
    expect(shared).toBeGreaterThan(0);
    expect(b.usage!.prompt_tokens_details).toEqual({ cached_tokens: shared });
  });

  it('seeded sampling is reproducible and equals generate() with the mapped options', async () => {
    const ask = (seed: number) => h.client.chat.completions.create({
      model: 'webift-tiny', messages: [{ role: 'user', content: 'Name a fruit.' }], temperature: 1.3, top_p: 0.95, seed, max_tokens: 16,
    });
    const [a, b, c] = [await ask(7), await ask(7), await ask(8)];
    expect(a.choices[0].message.content).toBe(b.choices[0].message.content);
    // top_k is off unless asked (OpenAI has none); temperature > 0 turns sampling on.
    const want = await reference(h.models, base(), fruitIds, { maxNewTokens: 16, doSample: true, temperature: 1.3, topP: 0.95, topK: 0, seed: 7 });
    expect(a.choices[0].message.content).toBe(want.text);
    const want8 = await reference(h.models, base(), fruitIds, { maxNewTokens: 16, doSample: true, temperature: 1.3, topP: 0.95, topK: 0, seed: 8 });
    expect(c.choices[0].message.content).toBe(want8.text);
  });

  it('chat streaming: a role chunk, content deltas that add up to the reply, a finish chunk, usage, [DONE]', async () => {
    const body = { model: 'webift-tiny', messages: [{ role: 'user' as const, content: 'Name a fruit.' }], temperature: 0, max_tokens: 12 };
    const whole = await h.client.chat.completions.create(body);
    const stream = await h.client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0].id)).toBe(true);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const text = chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? '')).join('');
    expect(text).toBe(whole.choices[0].message.content);
    const finish = chunks.filter((c) => c.choices[0]?.finish_reason);
    expect(finish.map((c) => c.choices[0].finish_reason)).toEqual([whole.choices[0].finish_reason]);
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(whole.usage);
  });

  it('the raw stream is SSE ending in data: [DONE]', async () => {
    const res = await fetch(`${h.server.url}/v1/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'webift-tiny', prompt: 'Name a fruit.', max_tokens: 4, temperature: 0, stream: true }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const raw = await res.text();
    expect(raw.endsWith('data: [DONE]\n\n')).toBe(true);
    const events = raw.trim().split('\n\n');
    expect(events.every((e) => e.startsWith('data: '))).toBe(true);
    expect(JSON.parse(events[0].slice(6)).object).toBe('text_completion');
  });

  it('text completions: raw prompt with bos, and token ids; streamed text equals the whole', async () => {
    const ids = h.models.tok.encode('Name a fruit.');
    const want = await reference(h.models, base(), ids, { maxNewTokens: 10, eosTokenIds: [] });
    const r = await h.client.completions.create({ model: 'webift-tiny', prompt: 'Name a fruit.', temperature: 0, max_tokens: 10, ignore_eos: true } as never);
    expect(r.choices[0].text).toBe(want.text);
    expect(r.choices[0].finish_reason).toBe('length');
    expect(r.usage?.completion_tokens).toBe(10);
    const byIds = await h.client.completions.create({ model: 'webift-tiny', prompt: ids, temperature: 0, max_tokens: 10, ignore_eos: true } as never);
    expect(byIds.choices[0].text).toBe(want.text);
    const stream = await h.client.completions.create({ model: 'webift-tiny', prompt: 'Name a fruit.', temperature: 0, max_tokens: 10, ignore_eos: true, stream: true } as never);
    let text = '';
    for await (const c of stream as unknown as AsyncIterable<{ choices: { text: string }[] }>) text += c.choices[0].text;
    expect(text).toBe(want.text);
  });

  it('a stop string cuts the reply before it, with finish_reason "stop"', async () => {
    const body = { model: 'webift-tiny', prompt: 'Name a fruit.', temperature: 0, max_tokens: 24, ignore_eos: true };
    const full = (await h.client.completions.create(body as never)).choices[0].text;
    // A stop string taken from the middle of the greedy text: the reply must end right before its first occurrence.
    const stop = full.slice(Math.floor(full.length / 2), Math.floor(full.length / 2) + 3);
    expect(stop.length).toBe(3);
    const r = await h.client.completions.create({ ...body, stop: [stop, 'zzzz-not-there'] } as never);
    expect(r.choices[0].text).toBe(full.slice(0, full.indexOf(stop)));
    expect(r.choices[0].finish_reason).toBe('stop');
    expect(r.usage!.completion_tokens).toBeLessThan(24);
  });

  it('frequency / presence penalties and the llama.cpp / vLLM extras reach generate()', async () => {
    const extras = { frequency_penalty: 1.5, presence_penalty: 0.5, repetition_penalty: 1.3, no_repeat_ngram_size: 2, top_k: 5, min_p: 0.1, temperature: 0.8, seed: 3, max_tokens: 20, ignore_eos: true };
    const r = await h.client.completions.create({ model: 'webift-tiny', prompt: 'Name a fruit.', ...extras } as never);
    const want = await reference(h.models, base(), h.models.tok.encode('Name a fruit.'), {
      frequencyPenalty: 1.5, presencePenalty: 0.5, repetitionPenalty: 1.3, noRepeatNgramSize: 2, topK: 5, minP: 0.1, doSample: true, temperature: 0.8, seed: 3, maxNewTokens: 20, eosTokenIds: [],
    });
    expect(r.choices[0].text).toBe(want.text);
    const beams = await h.client.completions.create({ model: 'webift-tiny', prompt: 'Name a fruit.', num_beams: 3, max_tokens: 8 } as never);
    const wantBeams = await reference(h.models, base(), h.models.tok.encode('Name a fruit.'), { numBeams: 3, maxNewTokens: 8 });
    expect(beams.choices[0].text).toBe(wantBeams.text);
  });

  it('every request freed its tensors, but the cache each entry keeps for the next prompt, which clear() frees', () => {
    expect(h.server.stats().active).toBe(0);
    const held = tf.memory().numTensors - baseline;
    expect(held).toBeLessThanOrEqual(2 * h.models.base.config.layers); // one cache's k and v (tensors on this backend)
    freePromptCaches(h);
    expect(tf.memory().numTensors).toBe(baseline);
  });
});
