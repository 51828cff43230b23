/**
 * Throughput of `webift serve` on loopback: starts the server as a subprocess (the embedded model unless --model),
 * runs N streaming clients at once, each sending R completion requests in a row (seeded sampling, ignore_eos, so
 * every request generates exactly --max-tokens tokens), and prints one JSON line: requests/s, generated tokens/s,
 * N, and p50 / p95 of request latency and of time to first token.
 * Usage: node --import ./bin/node-env.mjs bench/serve.ts [--clients 8] [--requests 2] [--max-tokens 32]
 *        [--concurrency 1] [--model DIR] [--backend cpu]
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { clients: { type: 'string' }, requests: { type: 'string' }, 'max-tokens': { type: 'string' }, concurrency: { type: 'string' }, model: { type: 'string' }, backend: { type: 'string' } } });
const N = Number(values.clients ?? 8), R = Number(values.requests ?? 2), MAX = Number(values['max-tokens'] ?? 32);
const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/webift.mjs');
const args = ['serve', '--port', '0', '--quiet', '--concurrency', values.concurrency ?? '1', ...(values.model ? ['--model', values.model] : []), ...(values.backend ? ['--backend', values.backend] : [])];
const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
const start = await new Promise<{ url: string; models: string[]; backend: string }>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
  });
  child.on('exit', (code) => reject(new Error(`webift serve exited with ${code}`)));
});

/** One streamed request: latency, time to first token, and the usage's completion tokens. */
async function request(seed: number): Promise<{ ms: number; ttft: number; tokens: number }> {
  const t0 = performance.now();
  const res = await fetch(`${start.url}/v1/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: start.models[0], prompt: `Name a fruit. ${seed}`, max_tokens: MAX, temperature: 1, seed, ignore_eos: true, stream: true, stream_options: { include_usage: true } }),
  });
  let ttft = -1, tokens = 0, buf = '', done = false;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += Buffer.from(chunk).toString('utf8');
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const data = buf.slice(6, i);
      buf = buf.slice(i + 2);
      if (data === '[DONE]') { done = true; continue; }
      const ev = JSON.parse(data);
      if (ttft < 0 && ev.choices?.[0]?.text) ttft = performance.now() - t0;
      if (ev.usage) tokens = ev.usage.completion_tokens;
    }
  }
  if (!done) throw new Error('a stream ended without [DONE]');
  return { ms: performance.now() - t0, ttft, tokens };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]);
};

await request(0); // warm-up: kernels and tokenizer, not counted
const t0 = performance.now();
const results = (await Promise.all(Array.from({ length: N }, async (_, c) => {
  const mine = [];
  for (let r = 0; r < R; r++) mine.push(await request(1 + c * R + r));
  return mine;
}))).flat();
const seconds = (performance.now() - t0) / 1000;
child.kill('SIGTERM');
const tokens = results.reduce((a, r) => a + r.tokens, 0);
process.stdout.write(`${JSON.stringify({
  bench: 'serve', backend: start.backend, model: start.models[0], clients: N, requests: results.length, max_tokens: MAX, concurrency: Number(values.concurrency ?? 1),
  seconds: +seconds.toFixed(2), requests_per_s: +(results.length / seconds).toFixed(3), tokens_per_s: +(tokens / seconds).toFixed(1),
  latency_ms: { p50: pct(results.map((r) => r.ms), 50), p95: pct(results.map((r) => r.ms), 95) },
  ttft_ms: { p50: pct(results.map((r) => r.ttft), 50), p95: pct(results.map((r) => r.ttft), 95) },
})}\n`);
