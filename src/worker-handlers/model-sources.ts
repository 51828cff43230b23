/**
 * ModelSources for the browser worker: checkpoint files already in memory ({name, bytes}), and a folder on a web
 * server (fetch `${baseUrl}/${name}`, streamed with byte progress, cancellable). Each file is read whole into memory.
 * The hub (resolve URLs, Cache API, resumable downloads) goes through data/hub. Not handled: range reads of multi-GB shards.
 */
import type { ModelSource } from '../model/load';
import { bytesReader } from '../model/safetensors';
import type { LoadProgress, ModelFile } from '../protocol/model-api';
import { hubModelSource } from '../data/hub/hub-source';
import { browserFileCache } from '../data/hub/browser-file-cache';
import { memoryFileCache } from '../data/hub/file-cache';
import { cacheStorage } from '../platform/env';

/**
 * A hub repo, each file downloaded once into the Cache API ('webift-hub') and read from there afterwards; a
 * dropped download resumes with a Range request on the next try. Without the Cache API it caches in memory.
 */
export function hubSource(hub: { repo: string; revision?: string; host?: string }, opts: { signal?: AbortSignal; onProgress?: (p: LoadProgress) => void } = {}): ModelSource {
  const storage = cacheStorage();
  return hubModelSource({
    repo: hub.repo,
    revision: hub.revision,
    host: hub.host,
    cache: storage ? browserFileCache(storage) : memoryFileCache(),
    signal: opts.signal,
    onProgress: (file, p) => opts.onProgress?.({ file, loaded: p.loaded, total: p.total ?? null }),
  });
}

export function memorySource(files: ModelFile[], label = 'uploaded files'): ModelSource {
  const byName = new Map(files.map((f) => [f.name.replace(/^.*[\\/]/, ''), new Uint8Array(f.bytes)]));
  return {
    label,
    readText: async (name) => {
      const b = byName.get(name);
      return b ? new TextDecoder().decode(b) : null;
    },
    reader: async (name) => {
      const b = byName.get(name);
      return b ? bytesReader(b) : null;
    },
  };
}

export interface UrlSourceOptions {
  label?: string;
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
  /** Injected for tests; default globalThis.fetch. */
  fetch?: typeof fetch;
}

/** Reads a response body in chunks, reporting bytes read. */
async function readBody(res: Response, file: string, onProgress?: (p: LoadProgress) => void): Promise<Uint8Array> {
  const len = Number(res.headers.get('content-length'));
  const total = Number.isFinite(len) && len > 0 ? len : null;
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress?.({ file, loaded, total });
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * A checkpoint folder at `baseUrl`. A 404 means "absent" (the loader then tries the next layout). An HTML page
 * where a JSON or safetensors file should be also means absent: single-page-app servers answer unknown paths so.
 */
export function urlSource(baseUrl: string, opts: UrlSourceOptions = {}): ModelSource {
  const base = baseUrl.replace(/\/+$/, '');
  const doFetch = opts.fetch ?? fetch.bind(globalThis);
  const cache = new Map<string, Promise<Uint8Array | null>>();

  const get = (name: string) => {
    let p = cache.get(name);
    if (!p) {
      p = (async () => {
        opts.signal?.throwIfAborted();
        const url = `${base}/${name}`;
        const res = await doFetch(url, { signal: opts.signal });
        if (res.status === 404 || (res.ok && /text\/html/i.test(res.headers.get('content-type') ?? ''))) return null;
        if (!res.ok) throw new Error(`${url}: the server answered ${res.status} ${res.statusText}`);
        return readBody(res, name, opts.onProgress);
      })();
      cache.set(name, p);
    }
    return p;
  };

  return {
    label: opts.label ?? base,
    readText: async (name) => {
      const b = await get(name);
      return b ? new TextDecoder().decode(b) : null;
    },
    reader: async (name) => {
      const b = await get(name);
      return b ? bytesReader(b) : null;
    },
  };
}
