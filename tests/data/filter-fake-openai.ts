/**
 * A fake OpenAI-compatible chat-completions endpoint on loopback (node:http), for the filter tests: it answers
 * each request with `answer(userMessage)`, logs every request, and can fail the first N requests with a status.
 * Test-only.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOpenAi {
  baseUrl: string;
  requests: { auth: string | null; model: string; system: string; user: string; temperature: number }[];
  /** Statuses to answer the next requests with, one each, before answering normally. */
  failNext: { status: number; retryAfter?: string; body?: string }[];
  close(): Promise<void>;
}

export async function startFakeOpenAi(answer: (user: string) => string, opts: { key?: string; malformed?: boolean } = {}): Promise<FakeOpenAi> {
  const fake: Omit<FakeOpenAi, 'baseUrl' | 'close'> = { requests: [], failNext: [] };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
        return;
      }
      const b = JSON.parse(body) as { model: string; temperature: number; messages: { role: string; content: string }[] };
      fake.requests.push({ auth: req.headers.authorization ?? null, model: b.model, system: b.messages[0].content, user: b.messages[1].content, temperature: b.temperature });
      if (opts.key && req.headers.authorization !== `Bearer ${opts.key}`) {
        res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { message: 'Incorrect API key provided' } }));
        return;
      }
      const fail = fake.failNext.shift();
      if (fail) {
        const headers: Record<string, string> = { 'Content-Type': 'application/json' };
        if (fail.retryAfter) headers['Retry-After'] = fail.retryAfter;
        res.writeHead(fail.status, headers).end(fail.body ?? JSON.stringify({ error: { message: `status ${fail.status}` } }));
        return;
      }
      const content = answer(b.messages[1].content);
      const out = opts.malformed ? { result: content } : { id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] };
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  });
}
