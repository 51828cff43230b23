/**
 * The OpenAI-compatible HTTP server on node:http: routes, the optional Bearer key, JSON bodies (at most 4 MiB),
 * errors in OpenAI's shape, a FIFO queue in front of the model, and a graceful close (no new requests, waiting
 * ones get 503, running ones get a grace period and are then aborted). Binds 127.0.0.1 unless told otherwise.
 * Routes: POST /v1/chat/completions, POST /v1/completions, GET /v1/models[/{id}], GET /health (no key needed).
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, asApiError, badRequest, unauthorized } from './api-error';
import { handleCompletion, sendJson, type RequestRecord } from './completions';
import type { ModelRegistry } from './models';
import { JobQueue } from './queue';

export interface ServeOptions {
  models: ModelRegistry;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Default 8000 (vLLM's); 0 = a free port. */
  port?: number;
  /** When set, every /v1 request needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Generations at once on the one base (default 1: see README "Serving" for why). */
  concurrency?: number;
  /** Requests that may wait for a slot before new ones get 429 (default 64). */
  maxQueue?: number;
  /** max_tokens for requests without one; default: the rest of the model's context. */
  defaultMaxTokens?: number | null;
  /** Seed for requests that carry none (default: a random 31-bit integer). */
  drawSeed?: () => number;
  now?: () => number;
  onRecord?: (r: RequestRecord) => void;
  /** Unexpected errors (bugs); default: one line on stderr. */
  onError?: (e: unknown) => void;
}

export interface ServerStats {
  /** Generations running now. */
  active: number;
  /** Requests waiting for a slot. */
  queued: number;
  /** Valid requests that ended: answered, abandoned by their client, refused while waiting (429, 503), or failed. */
  finished: number;
  /** Of those, how many were not answered in full (reason 'aborted'). */
  aborted: number;
  completionTokens: number;
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  stats(): ServerStats;
  /** Stops accepting, answers waiting requests 503, waits up to `graceMs` for running ones, then aborts them. */
  close(graceMs?: number): Promise<void>;
}

const MAX_BODY = 4 * 2 ** 20;

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new ApiError(413, `the request body is over ${MAX_BODY} bytes`, 'invalid_request_error', null, 'body_too_large');
    chunks.push(c);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    throw badRequest(`the body is not valid JSON: ${(e as Error).message}`, null, 'invalid_json');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the body must be a JSON object', null, 'invalid_json');
  return body as Record<string, unknown>;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function checkKey(req: IncomingMessage, key: string | undefined): void {
  if (key === undefined) return;
  const h = req.headers.authorization;
  if (!h) throw unauthorized("You didn't provide an API key: send it as 'Authorization: Bearer <key>'");
  const m = /^Bearer\s+(.+)$/i.exec(h);
  if (!m || !timingSafeEqual(digest(m[1].trim()), digest(key))) throw unauthorized('Incorrect API key provided');
}

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const queue = new JobQueue(o.concurrency ?? 1, o.maxQueue ?? 64);
  const shutdown = new AbortController();
  const now = o.now ?? Date.now;
  const onError = o.onError ?? ((e: unknown) => process.stderr.write(`webift serve: internal error: ${(e as Error)?.stack ?? String(e)}\n`));
  const stats = { finished: 0, aborted: 0, completionTokens: 0 };
  const started = Math.floor(now() / 1000);
  const ctx = {
    models: o.models, queue, defaultMaxTokens: o.defaultMaxTokens ?? null, drawSeed: o.drawSeed ?? (() => randomInt(2 ** 31)), now,
    shutdown: shutdown.signal, onError,
    onRecord: (r: RequestRecord) => {
      stats.finished++;
      stats.completionTokens += r.completionTokens;
      if (r.reason === 'aborted') stats.aborted++;
      o.onRecord?.(r);
    },
  };
  let closing = false;
  let closingDone: Promise<void> | null = null;
  const modelObject = (e: ReturnType<ModelRegistry['list']>[number]) => ({ id: e.id, object: 'model', created: started, owned_by: 'webift', ...(e.parent ? { parent: e.parent, root: e.parent } : { root: e.id, parent: null }) });

  const routes: Record<string, Partial<Record<string, Route>>> = {
    '/v1/chat/completions': { POST: async (req, res) => handleCompletion(ctx, 'chat', await readJson(req), res) },
    '/v1/completions': { POST: async (req, res) => handleCompletion(ctx, 'text', await readJson(req), res) },
    '/v1/models': { GET: async (_req, res) => sendJson(res, 200, { object: 'list', data: o.models.list().map(modelObject) }) },
    '/health': { GET: async (_req, res) => sendJson(res, 200, { status: 'ok' }) },
  };

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/\/+$/, '') || '/';
    if (path.startsWith('/v1/')) checkKey(req, o.apiKey);
    const one = /^\/v1\/models\/(.+)$/.exec(path);
    if (one && req.method === 'GET') return sendJson(res, 200, modelObject(o.models.resolve(decodeURIComponent(one[1]))));
    const byMethod = routes[path];
    if (!byMethod) throw new ApiError(404, `Unknown route ${req.method} ${path}`, 'invalid_request_error', null, 'unknown_route');
    const route = byMethod[req.method ?? ''];
    if (!route) {
      res.setHeader('allow', Object.keys(byMethod).join(', '));
      throw new ApiError(405, `${req.method} is not allowed on ${path} (allowed: ${Object.keys(byMethod).join(', ')})`, 'invalid_request_error', null, 'method_not_allowed');
    }
    if (shutdown.signal.aborted || closing) throw new ApiError(503, 'the server is shutting down', 'server_error', null, 'shutting_down');
    await route(req, res);
  }

  const server: Server = createServer((req, res) => {
    dispatch(req, res).catch((e) => {
      if (!(e instanceof ApiError)) onError(e);
      if (res.headersSent) return void res.destroy();
      const err = asApiError(e);
      sendJson(res, err.status, err.body(), err.status === 429 || err.status === 503 ? { 'retry-after': '1' } : {});
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 8000, o.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const hostForUrl = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;

  return {
    url: `http://${hostForUrl}:${addr.port}`,
    host: addr.address,
    port: addr.port,
    stats: () => ({ active: queue.active, queued: queue.queued, ...stats }),
    close(graceMs = 10_000) {
      if (closingDone) {
        if (graceMs === 0) shutdown.abort(); // asked again, now: stop waiting for running generations
        return closingDone;
      }
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      queue.close(new ApiError(503, 'the server is shutting down', 'server_error', null, 'shutting_down'));
      const deadline = setTimeout(() => shutdown.abort(), graceMs);
      closingDone = (async () => {
        while (queue.active > 0) await new Promise((r) => setTimeout(r, 20));
        clearTimeout(deadline);
        shutdown.abort();
        server.closeAllConnections();
        await closed;
      })();
      return closingDone;
    },
  };
}
