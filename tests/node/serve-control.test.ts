/**
 * `webift serve` around the generation: the API key, OpenAI-shaped errors (400 with the field, 401, 404, 405, a
 * 500 that leaks nothing), adapters picked by the `model` field (a LoRA with random B built here, so its replies
 * differ from the base's), a full line (429), and cancellation: a client that aborts its stream (or leaves while
 * queued) stops its generation early and the server's active count returns to 0 with no tensor left behind.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { attachLora, loraConfig } from '../../src/peft';
import { readAdapterDir, writeAdapterDir } from '../../src/node/adapter-dir';
import { alpacaPrompt } from '../../src/tokenizer/alpaca';
import { reference, serveTiny, until, type Harness, freePromptCaches } from './serve-harness';

const KEY = 'sk-test-key';
const fruit = [{ role: 'user' as const, content: 'Name a fruit.' }];

describe('webift serve: keys, errors, adapters, cancellation', () => {
  let h: Harness;
  let baseline: number;
  const internal: unknown[] = [];
  beforeAll(async () => {
    h = await serveTiny({
      apiKey: KEY,
      maxQueue: 1,
      onError: (e) => internal.push(e),
      // A LoRA on q/v with PEFT's init_lora_weights=false (B random too) and scaling 32 / 4 = 8: far from the base.
      adapters: async (model) => {
        const dir = path.join(mkdtempSync(path.join(tmpdir(), 'webift-serve-')), 'lora');
        const fresh = attachLora(model, loraConfig({ r: 4, lora_alpha: 32, target_modules: ['q_proj', 'v_proj'] as never, init_lora_weights: false }), { seed: 5 });
        await writeAdapterDir(fresh, dir);
        fresh.dispose();
        return [{ name: 'tuned', adapter: await readAdapterDir(model, dir) }];
      },
    });
    baseline = tf.memory().numTensors;
  });
  afterAll(async () => h?.close());

  const post = (route: string, body: unknown, key: string | null = KEY) =>
    fetch(`${h.server.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const errorOf = async (r: Response) => ((await r.json()) as { error: Record<string, unknown> }).error;

  it('401 without the key or with a wrong one; /health needs none', async () => {
    const none = await post('/v1/chat/completions', { model: 'webift-tiny', messages: fruit }, null);
    expect(none.status).toBe(401);
    expect(await errorOf(none)).toMatchObject({ type: 'invalid_request_error', param: null, code: 'invalid_api_key' });
    const wrong = new OpenAI({ baseURL: `${h.server.url}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect((await fetch(`${h.server.url}/health`)).status).toBe(200);
  });

  it('404 for an unknown model (param "model") and for an unknown route; 405 for a wrong method', async () => {
    await expect(h.client.chat.completions.create({ model: 'nope', messages: fruit })).rejects.toMatchObject({ status: 404, param: 'model', code: 'model_not_found', type: 'invalid_request_error' });
    const route = await post('/v1/embeddings', { model: 'webift-tiny', input: 'x' });
    expect(route.status).toBe(404);
    expect(Object.keys(await errorOf(route)).sort()).toEqual(['code', 'message', 'param', 'type']);
    const method = await fetch(`${h.server.url}/v1/chat/completions`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('POST');
  });

  it.each([
    [{ model: 'webift-tiny', messages: fruit, n: 2 }, 'n'],
    [{ model: 'webift-tiny', messages: fruit, temperature: 'hot' }, 'temperature'],
    [{ model: 'webift-tiny', messages: fruit, top_p: 0 }, 'top_p'],
    [{ model: 'webift-tiny', messages: fruit, stop: [1] }, 'stop'],
    [{ model: 'webift-tiny', messages: fruit, logprobs: true }, 'logprobs'],
    [{ model: 'webift-tiny', messages: fruit, max_tokens: 100_000 }, 'max_tokens'],
    [{ model: 'webift-tiny', messages: fruit, num_beams: 2, temperature: 0.7 }, 'num_beams'],
    [{ model: 'webift-tiny', messages: [] }, 'messages'],
    [{ model: 'webift-tiny', messages: [{ role: 'robot', content: 'hi' }] }, 'messages.0.role'],
    [{ model: 'webift-tiny', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }, 'messages.0.content.0'],
    [{ messages: fruit }, 'model'],
  ])('400 names the field: %j -> %s', async (body, param) => {
    const r = await post('/v1/chat/completions', body);
    expect(r.status).toBe(400);
    expect(await errorOf(r)).toMatchObject({ type: 'invalid_request_error', param });
  });

  it('400 for a body that is not JSON, and for two prompts in one completion request', async () => {
    const bad = await post('/v1/completions', '{"model": ');
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).code).toBe('invalid_json');
    await expect(h.client.completions.create({ model: 'webift-tiny', prompt: ['a', 'b'] })).rejects.toMatchObject({ status: 400, param: 'prompt' });
  });

  it('500 says nothing about the failure; the server logs it; a stream gets the error event', async () => {
    const tok = h.models.tok;
    const decode = tok.decode.bind(tok);
    tok.decode = () => {
      throw new Error('secret detail at /home/someone/internal.ts:12');
    };
    try {
      const r = await post('/v1/completions', { model: 'webift-tiny', prompt: 'Hi', max_tokens: 2 });
      expect(r.status).toBe(500);
      const text = await r.text();
      expect(text).not.toMatch(/secret|internal\.ts|at /);
      expect(JSON.parse(text).error).toMatchObject({ type: 'server_error', param: null });
      const s = await h.client.completions.create({ model: 'webift-tiny', prompt: 'Hi', max_tokens: 2, stream: true });
      await expect((async () => { for await (const _ of s) void _; })()).rejects.toThrow(/server had an error/);
    } finally {
      tok.decode = decode;
    }
    expect(internal.map((e) => (e as Error).message)).toEqual(['secret detail at /home/someone/internal.ts:12', 'secret detail at /home/someone/internal.ts:12']);
  });

  it('the model field picks the adapter: its reply is generate() with the LoRA, and differs from the base', async () => {
    const list = await h.client.models.list();
    expect(list.data.map((m) => [m.id, (m as unknown as { parent: string | null }).parent])).toEqual([['webift-tiny', null], ['tuned', 'webift-tiny']]);
    const ask = (model: string) => h.client.chat.completions.create({ model, messages: fruit, temperature: 0, max_tokens: 8, ignore_eos: true } as never);
    const [tuned, base] = [await ask('tuned'), await ask('webift-tiny')];
    const ids = h.models.tok.encode(alpacaPrompt('Name a fruit.'));
    const want = await reference(h.models, h.models.resolve('tuned'), ids, { maxNewTokens: 8, eosTokenIds: [] });
    expect(tuned.choices[0].message.content).toBe(want.text);
    expect(tuned.choices[0].message.content).not.toBe(base.choices[0].message.content);
  });

  it('a client that aborts its stream stops the generation early; one that leaves the queue never starts', async () => {
    const before = h.records.length;
    const body = { model: 'webift-tiny', messages: fruit, temperature: 0, max_tokens: 200, ignore_eos: true, stream: true } as const;
    const first = new AbortController(), second = new AbortController();
    const drain = async (s: unknown, onDelta: (n: number) => void = () => {}) => {
      let n = 0;
      for await (const c of s as AsyncIterable<{ choices: { delta: { content?: string } }[] }>) if (c.choices[0]?.delta.content) onDelta(++n);
    };
    const running = await h.client.chat.completions.create(body as never, { signal: first.signal });
    // A second request waits behind the first (concurrency 1; no headers until a slot is free); its client gives up.
    const waiting = h.client.chat.completions.create(body as never, { signal: second.signal });
    await until(() => h.server.stats().queued === 1);
    // The line holds one (maxQueue 1): a third request is turned away at once, with a hint when to retry.
    const third = await post('/v1/chat/completions', body);
    expect([third.status, third.headers.get('retry-after'), (await errorOf(third)).code]).toEqual([429, '1', 'queue_full']);
    second.abort();
    await expect(waiting).rejects.toThrow(/abort/i);
    // (The openai client ends an aborted stream's iteration quietly; the server's records are what count.)
    await drain(running, (n) => n === 3 && first.abort()).catch(() => undefined);
    await until(() => h.records.length === before + 3 && h.server.stats().active === 0);
    const [refused, queued, ran] = [...h.records.slice(before)].sort((a, b) => a.completionTokens - b.completionTokens);
    for (const r of [refused, queued]) expect(r).toMatchObject({ reason: 'aborted', completionTokens: 0 });
    expect(ran.reason).toBe('aborted');
    expect(ran.completionTokens).toBeGreaterThanOrEqual(3);
    expect(ran.completionTokens).toBeLessThan(50); // seen within a step or two of the abort, far from 200
    expect(h.server.stats()).toMatchObject({ active: 0, queued: 0 });
    freePromptCaches(h);
    expect(tf.memory().numTensors).toBe(baseline);
  });
});

describe('the webift serve command', () => {
  it('prints its URL as one JSON line, answers, logs each request as JSON on stderr, and exits 0 on SIGTERM', async () => {
    const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/webift.mjs');
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--api-key', KEY], { env: { ...process.env, WEBIFT_BACKEND: 'cpu' } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await until(() => stdout.includes('\n') || child.exitCode !== null, 60_000);
    const start = JSON.parse(stdout.split('\n')[0]);
    expect(start).toMatchObject({ models: ['webift-tiny'], backend: 'cpu', api_key: true });
    expect(start.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const client = new OpenAI({ baseURL: `${start.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const r = await client.completions.create({ model: 'webift-tiny', prompt: 'Name a fruit.', max_tokens: 3, temperature: 0 });
    expect(r.usage?.prompt_tokens).toBeGreaterThan(0);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const log = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(log).toEqual([expect.objectContaining({ endpoint: 'text', model: 'webift-tiny', promptTokens: r.usage!.prompt_tokens, completionTokens: r.usage!.completion_tokens })]);
  }, 90_000);
});
