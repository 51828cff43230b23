/**
 * The serve tests' harness: the embedded tiny model on the cpu backend, served in-process on 127.0.0.1 port 0, an
 * official `openai` client pointed at it, every request record collected, and the in-process reference the server's
 * answers are compared with (generateAll on the same prompt ids and options).
 */
import OpenAI from 'openai';
import { initBackend } from '../../src/platform/backend';
import { loadModel } from '../../src/model/load';
import type { Model } from '../../src/model/types';
import { generateAll } from '../../src/generate/generate';
import type { GenerationOptions } from '../../src/generate/options';
import type { Adapter } from '../../src/peft';
import type { TextTokenizer } from '../../src/tokenizer/tokenizer';
import { folderSource } from '../../src/node/fs-source';
import { tokenizerFrom } from '../../src/node/model-tokenizer';
import { EMBEDDED_MODEL_DIR } from '../../src/node/embedded-model';
import { ModelRegistry, type ServedEntry } from '../../src/node/serve/models';
import { startServer, type RunningServer, type ServeOptions } from '../../src/node/serve/server';
import type { RequestRecord } from '../../src/node/serve/completions';

export interface Harness {
  server: RunningServer;
  client: OpenAI;
  models: ModelRegistry;
  records: RequestRecord[];
  close(): Promise<void>;
}

export async function tinyBase(): Promise<{ model: Model; tok: TextTokenizer }> {
  await initBackend({ prefer: ['cpu'] });
  const src = folderSource(EMBEDDED_MODEL_DIR);
  return { model: await loadModel(src), tok: (await tokenizerFrom(src))! };
}

export async function serveTiny(opts: Partial<ServeOptions> & { adapters?: (m: Model) => Promise<{ name: string; adapter: Adapter }[]> } = {}): Promise<Harness> {
  const { model, tok } = await tinyBase();
  const models = new ModelRegistry(model, tok, 'webift-tiny', opts.adapters ? await opts.adapters(model) : []);
  const records: RequestRecord[] = [];
  const server = await startServer({ models, port: 0, onRecord: (r) => records.push(r), ...opts });
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: opts.apiKey ?? 'unused', maxRetries: 0 });
  return {
    server, client, models, records,
    async close() {
      await server.close(1000);
      models.dispose();
    },
  };
}

/** What generate() itself gives for these prompt ids and options, with the entry's adapter hooks. */
export async function reference(models: ModelRegistry, entry: ServedEntry, ids: number[], options: Partial<GenerationOptions>) {
  const decode = (g: number[]) => models.tok.decode(g, { skipSpecialTokens: true });
  const r = await generateAll(models.base, { ids: [ids] }, options, { decode, ...entry.hooks });
  return { text: r.texts[0], tokens: r.tokens[0].length, reason: r.finishReasons[0] };
}

/**
 * Frees the keys and values each served entry keeps for its next prompt (generate/prompt-cache.ts), which a server
 * holds on purpose between requests: a test that counts tensors after requests calls this first.
 */
export function freePromptCaches(h: Harness): void {
  for (const e of h.models.list()) e.promptCache.clear();
}

/** Waits (polling, at most `ms`) until `ok()` holds. */
export async function until(ok: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
