/**
 * A load test on loopback: N = 8 streaming clients at once against the in-process server (2 generations at a time,
 * the rest queued). Nothing is dropped: every client reads its whole SSE stream, ending in `data: [DONE]`, with
 * exactly max_tokens tokens in its usage and the very text a lone generate() gives for its seed (so interleaved
 * generations do not disturb each other). Afterwards nothing runs or waits and no tensor is left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { reference, serveTiny, type Harness } from './serve-harness';

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
    expect(tf.memory().numTensors).toBe(baseline);
  }, 90_000);
});
