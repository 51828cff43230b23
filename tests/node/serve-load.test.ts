/**
 * A load test on loopback: N = 8 streaming clients at once against the in-process server (2 generations at a time,
 * the rest queued). Nothing is dropped: every client reads its whole SSE stream, ending in `data: [DONE]`, with
 * exactly max_tokens tokens in its usage and the very text a lone generate() gives for its seed (so interleaved
 * generations do not disturb each other). Afterwards nothing runs or waits and no tensor is left behind. Then a
 * graceful close: a waiting request gets 503, running streams get the grace period, then end with "abort" + [DONE].
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { reference, serveTiny, until, type Harness, freePromptCaches } from './serve-harness';

const N = 8, MAX_TOKENS = 12;

/** The `data:` payloads of an SSE body, in order. */
function events(raw: string): string[] {
  return raw.split('\n\n').filter(Boolean).map((e) => {
    expect(e.startsWith('data: ')).toBe(true);
    return e.slice(6);
  });
}

describe('webift serve under load', () => {
  let h: Harness;
  let baseline: number;
  beforeAll(async () => {
    h = await serveTiny({ concurrency: 2 });
    baseline = tf.memory().numTensors;
  });
  afterAll(async () => h?.close());

  it(`${N} concurrent streaming clients all get their tokens and [DONE]`, async () => {
    const t0 = Date.now();
    const one = async (i: number) => {
      const res = await fetch(`${h.server.url}/v1/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'webift-tiny', prompt: `Name a fruit. ${i}`, temperature: 1, seed: 100 + i, max_tokens: MAX_TOKENS, ignore_eos: true, stream: true, stream_options: { include_usage: true } }),
      });
      expect(res.status).toBe(200);
      return events(await res.text());
    };
    const streams = await Promise.all(Array.from({ length: N }, (_, i) => one(i)));
    const seconds = (Date.now() - t0) / 1000;
    for (const [i, ev] of streams.entries()) {
      expect(ev[ev.length - 1]).toBe('[DONE]');
      const chunks = ev.slice(0, -1).map((e) => JSON.parse(e));
      const text = chunks.flatMap((c) => c.choices.map((ch: { text: string }) => ch.text)).join('');
      expect(chunks.at(-1).usage.completion_tokens).toBe(MAX_TOKENS);
      expect(chunks.at(-2).choices[0].finish_reason).toBe('length');
      const want = await reference(h.models, h.models.resolve('webift-tiny'), h.models.tok.encode(`Name a fruit. ${i}`), {
        doSample: true, temperature: 1, topK: 0, seed: 100 + i, maxNewTokens: MAX_TOKENS, eosTokenIds: [],
      });
      expect(text, `client ${i}`).toBe(want.text);
    }
    expect(h.records).toHaveLength(N);
    expect(h.records.every((r) => r.reason === 'length')).toBe(true);
    // With 2 slots, at least N - 2 requests had to wait for one.
    expect(h.records.filter((r) => r.queueMs > 0).length).toBeGreaterThanOrEqual(N - 2);
    expect(seconds).toBeLessThan(60);
    expect(h.server.stats()).toMatchObject({ active: 0, queued: 0, finished: N, aborted: 0, completionTokens: N * MAX_TOKENS });
    freePromptCaches(h);
    expect(tf.memory().numTensors).toBe(baseline);
  }, 90_000);

  it('close(): waiting requests get 503; running streams end with finish_reason "abort" and [DONE]', async () => {
    // Each on a fresh connection (agent: false): a keep-alive socket left from the load test may be closed by the
    // server's keep-alive timeout just as it is reused, which would fail the request before it reached the queue.
    const send = () => new Promise<{ status: number; text: () => Promise<string> }>((resolve, reject) => {
      const req = request(`${h.server.url}/v1/completions`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
        const body = (async () => Buffer.concat(await res.toArray()).toString('utf8'))();
        resolve({ status: res.statusCode!, text: () => body });
      });
      req.on('error', reject);
      req.end(JSON.stringify({ model: 'webift-tiny', prompt: 'Name a fruit.', temperature: 0, max_tokens: 200, ignore_eos: true, stream: true }));
    });
    const running = [await send(), await send()]; // the 2 slots (headers come once a slot is free)
    const waiting = send();
    await until(() => h.server.stats().queued === 1);
    const closed = h.server.close(300);
    const refused = await waiting;
    expect(refused.status).toBe(503);
    expect(JSON.parse(await refused.text()).error.code).toBe('shutting_down');
    for (const res of running) {
      const ev = events(await res.text());
      expect(ev.at(-1)).toBe('[DONE]');
      expect(JSON.parse(ev.at(-2)!).choices[0].finish_reason).toBe('abort');
    }
    await closed;
    expect(h.server.stats()).toMatchObject({ active: 0, queued: 0 });
    freePromptCaches(h);
    expect(tf.memory().numTensors).toBe(baseline);
  }, 60_000);
});
