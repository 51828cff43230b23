/**
 * The browser FileCache: an EntryStore on the Cache API (one cache, 'webift-hub' by default); the complete/partial
 * split and the partial bookkeeping are shared with the memory cache (file-cache.ts). One `cache.put` stores a
 * whole Response or nothing, which is what makes entries atomic. Reads go through a Blob, so a multi-GB entry is
 * read in slices. Not handled: storage quota (ask platform/), eviction. The caller passes the CacheStorage
 * (`caches`), since only platform/ reads globals.
 */
import type { ByteReader } from '../../util/byte-reader';
import { CacheError, storeFileCache, type EntryStore, type FileCache } from './file-cache';

// Cache API keys must be http(s) URLs; this origin is never contacted.
const ORIGIN = 'https://webift-hub.invalid/';
const META = 'x-webift-meta';

function blobReader(blob: Blob, label: string): ByteReader {
  return {
    size: async () => blob.size,
    read: async (offset, length) => {
      if (offset + length > blob.size) throw new CacheError(`${label}: read past the end (${offset + length} > ${blob.size} bytes)`);
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
  };
}

export function cacheApiStore(storage: CacheStorage, name = 'webift-hub'): EntryStore {
  const open = () => storage.open(name);
  const url = (entry: string) => ORIGIN + encodeURIComponent(entry);
  return {
    label: `Cache API '${name}'`,
    get: async (entry) => {
      const res = await (await open()).match(url(entry));
      if (!res) return null;
      const meta = res.headers.get(META);
      return { reader: blobReader(await res.blob(), entry), meta: meta === null ? null : decodeURIComponent(meta) };
    },
    set: async (entry, bytes, meta) => {
      const headers: Record<string, string> = { 'content-length': String(bytes.byteLength) };
      if (meta !== null) headers[META] = encodeURIComponent(meta); // header values must be Latin-1
      await (await open()).put(url(entry), new Response(bytes.slice(), { headers }));
    },
    delete: async (entry) => {
      await (await open()).delete(url(entry));
    },
    list: async () => {
      const cache = await open();
      const out: { name: string; size: number }[] = [];
      for (const req of await cache.keys()) {
        const res = await cache.match(req);
        out.push({ name: decodeURIComponent(req.url.slice(ORIGIN.length)), size: Number(res?.headers.get('content-length') ?? 0) });
      }
      return out;
    },
  };
}

/** The browser hub cache: `browserFileCache(caches)` (or `self.caches` in a worker). */
export function browserFileCache(storage: CacheStorage, name = 'webift-hub'): FileCache {
  return storeFileCache(cacheApiStore(storage, name));
}
