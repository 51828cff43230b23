/**
 * `webift serve [--model M] [--adapter name=DIR ...] [--host H --port P] [--api-key KEY]`: the OpenAI-compatible
 * server (src/node/serve/). Without --model it serves the embedded tiny model. Prints one JSON line on stdout once
 * it listens ({"url", "models", "backend"}), one JSON line per finished request on stderr (unless --quiet), and
 * closes gracefully on SIGINT / SIGTERM (a second signal stops waiting for running generations).
 */
import * as path from 'node:path';
import { envVar } from '../../platform/env';
import { BACKEND_FLAG, bool, num, parse, str, type FlagSpec } from '../args';
import type { Command } from '../command';
import { readAdapterDir } from '../adapter-dir';
import { EMBEDDED_MODEL_DIR, EMBEDDED_MODEL_ID } from '../embedded-model';
import { UsageError } from '../errors';
import { tokenizerFrom } from '../model-tokenizer';
import { QUANT_FLAGS } from '../quant-flags';
import { openModel } from '../runtime';
import type { Adapter } from '../../peft';
import { ModelRegistry } from '../serve/models';
import { startServer } from '../serve/server';

export const SERVE_FLAGS: FlagSpec = {
  model: { type: 'string', value: 'dir|repo', default: EMBEDDED_MODEL_ID, help: 'the base model: a folder or a hub repo id owner/name[@revision] (default: the embedded tiny model)' },
  adapter: { type: 'string', value: 'name=dir', multiple: true, help: 'a PEFT adapter folder served as model "name" on the same base (repeatable)' },
  'served-model-name': { type: 'string', value: 'id', help: "the base model's id in requests and /v1/models (default: the repo id, or the folder's name)" },
  host: { type: 'string', value: 'address', default: '127.0.0.1', help: 'address to bind; 0.0.0.0 exposes the server to the network (use --api-key then)' },
  port: { type: 'string', value: 'int', default: 8000, help: 'TCP port; 0 picks a free one (the start line prints the URL)' },
  'api-key': { type: 'string', value: 'key', help: 'require "Authorization: Bearer <key>" on /v1 routes (or set WEBIFT_API_KEY)' },
  concurrency: { type: 'string', value: 'int', default: 1, help: 'generations at once on the base; the rest wait in FIFO order' },
  'max-queue': { type: 'string', value: 'int', default: 64, help: 'requests that may wait for a slot; beyond that new ones get 429' },
  'max-tokens': { type: 'string', value: 'int', help: "max_tokens for requests without one (default: the rest of the model's context)" },
  quiet: { type: 'boolean', help: 'no per-request log lines on stderr' },
  backend: BACKEND_FLAG,
  ...QUANT_FLAGS,
};

/** "name=dir" -> {name, dir}. */
function adapterSpecs(values: unknown): { name: string; dir: string }[] {
  return ((values as string[] | undefined) ?? []).map((s) => {
    const i = s.indexOf('=');
    if (i <= 0 || i === s.length - 1) throw new UsageError(`--adapter must be name=DIR (the name requests put in "model"), got '${s}'`);
    return { name: s.slice(0, i), dir: s.slice(i + 1) };
  });
}

/** The base model's id: --served-model-name, else a hub repo id as given, else the folder's name. */
function baseIdFor(spec: string | undefined, served: string | undefined): string {
  if (served) return served;
  if (!spec) return EMBEDDED_MODEL_ID;
  return /^[\w.-]+\/[\w.-]+(@[\w./-]+)?$/.test(spec) && !spec.startsWith('.') && !path.isAbsolute(spec) ? spec.replace(/@.*$/, '') : path.basename(path.resolve(spec));
}

export async function serveCommand(argv: string[]): Promise<number> {
  const p = parse(argv, SERVE_FLAGS);
  const port = num(p, 'port', { int: true, min: 0, max: 65535 }) ?? 8000;
  const concurrency = num(p, 'concurrency', { int: true, min: 1 }) ?? 1;
  const maxQueue = num(p, 'max-queue', { int: true, min: 0 }) ?? 64;
  const maxTokens = num(p, 'max-tokens', { int: true, min: 1 }) ?? null;
  const adapters = adapterSpecs(p.values.adapter);
  const spec = str(p, 'model');
  const apiKey = str(p, 'api-key') ?? envVar('WEBIFT_API_KEY');
  if (apiKey !== undefined && !apiKey.trim()) throw new UsageError('--api-key is empty');
  const quiet = bool(p, 'quiet');

  const { model, backend, source, announce } = await openModel(spec ?? EMBEDDED_MODEL_DIR, str(p, 'backend'), true, p.values);
  const loaded: { name: string; adapter: Adapter }[] = [];
  let models: ModelRegistry;
  try {
    const tok = await tokenizerFrom(source);
    if (!tok) throw new UsageError(`${source.label} has no tokenizer.json; the server needs one`);
    for (const a of adapters) loaded.push({ name: a.name, adapter: await readAdapterDir(model, a.dir) });
    const baseId = baseIdFor(spec, str(p, 'served-model-name'));
    models = new ModelRegistry(model, tok, baseId, loaded, spec && spec !== baseId ? [spec] : []);
  } catch (e) {
    for (const l of loaded) l.adapter.dispose();
    model.dispose();
    throw e;
  }
  if (!quiet) announce();
  const log = (r: object) => quiet || process.stderr.write(`${JSON.stringify(r)}\n`);
  let server;
  try {
    server = await startServer({ models, host: str(p, 'host') ?? '127.0.0.1', port, apiKey, concurrency, maxQueue, defaultMaxTokens: maxTokens, onRecord: log });
  } catch (e) {
    models.dispose();
    const code = (e as { code?: string }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new UsageError(`cannot listen on ${str(p, 'host') ?? '127.0.0.1'}:${port}: ${code}`);
    throw e;
  }
  process.stdout.write(`${JSON.stringify({ url: server.url, models: models.list().map((e) => e.id), backend: backend.name, api_key: apiKey !== undefined })}\n`);

  await new Promise<void>((resolve) => {
    let signals = 0;
    const stop = (sig: string) => {
      signals++;
      if (signals > 1) return void server.close(0); // a second signal: abort what still runs
      if (!quiet) process.stderr.write(`webift serve: ${sig}, closing (running requests get 10 s)\n`);
      void server.close(10_000).then(resolve);
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  models.dispose();
  return 0;
}

export const command: Command = {
  name: 'serve',
  summary: 'an OpenAI-compatible HTTP server (chat/completions, completions, models; streaming) for the model and its adapters',
  usage: '[--model <dir|repo>] [--adapter <name=dir> ...] [--port 8000] [flags]',
  flags: SERVE_FLAGS,
  notes: [
    'Requests pick the base by its id and an adapter by its name in "model". Binds 127.0.0.1 unless --host says otherwise.',
    'Prints {"url", "models", "backend", "api_key"} as one JSON line once it listens. README "Serving (OpenAI-compatible)" maps every request parameter.',
  ],
  run: serveCommand,
};
