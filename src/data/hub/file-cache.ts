/**
 * FileCache: where downloaded hub files live. Complete entries are written atomically and are the only ones ever
 * served; an interrupted download is kept apart as a partial entry (bytes so far + the validator to resume with).
 * Also a generic FileCache over a flat entry store, shared by the in-memory (tests) and Cache API (browser)
 * implementations. Not handled: eviction, quotas, locking between two writers of the same key (last one wins).
 */
import type { ByteReader } from '../../util/byte-reader';

export interface CacheEntryInfo {
  key: string;
  /** Bytes. */
  size: number;
}

/** What survives a dropped connection: the bytes that arrived, and what is needed to resume safely. */
export interface PartialDownload {
  /** The first `bytes.byteLength` bytes of the file. */
  bytes: Uint8Array;
  /** Full size as the server announced it, or null when unknown. */
  total: number | null;
  /** The server's ETag for the file (sent back as If-Range), or null. */
  etag: string | null;
}

export interface FileCache {
  /** For messages: a folder, 'memory', 'Cache API webift-hub'. */
  label: string;
  /** A reader over a complete entry, or null. Never returns a partial download. */
  get(key: string): Promise<ByteReader | null>;
  has(key: string): Promise<boolean>;
  /** Stores a complete entry atomically: readers see the old entry, or the whole new one, never a part. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** Removes the complete entry and any partial one. */
  delete(key: string): Promise<void>;
  /** Complete entries only. */
  list(): Promise<CacheEntryInfo[]>;
  getPartial(key: string): Promise<PartialDownload | null>;
  /** Replaces the partial entry (atomically, like put). */
  putPartial(key: string, part: PartialDownload): Promise<void>;
  deletePartial(key: string): Promise<void>;
}

export class CacheError extends Error {
  override name = 'CacheError';
}

import { bytesReader } from '../../util/byte-reader';

export { bytesReader };

/** Reads a whole reader into one array. */
export async function readAll(r: ByteReader): Promise<Uint8Array> {
  return r.read(0, await r.size());
}

/** The JSON stored beside a partial download's bytes. */
export interface PartialMeta {
  size: number;
  total: number | null;
  etag: string | null;
}

/** Checks a stored partial against its meta; a mismatch (crash between two writes) means: start over. */
export function partialFromStored(bytes: Uint8Array, metaJson: string | null): PartialDownload | null {
  if (metaJson === null) return null;
  let meta: PartialMeta;
  try {
    meta = JSON.parse(metaJson) as PartialMeta;
  } catch {
    return null;
  }
  if (meta.size !== bytes.byteLength) return null;
  if (meta.total !== null && meta.total < meta.size) return null;
  return { bytes, total: meta.total, etag: meta.etag };
}

export function partialMeta(part: PartialDownload): string {
  return JSON.stringify({ size: part.bytes.byteLength, total: part.total, etag: part.etag } satisfies PartialMeta);
}

/**
 * A flat store of named byte entries with a short string of metadata each, where one `set` is atomic.
 * A Map (memory) or a Cache API cache (browser) is enough to implement it.
 */
export interface EntryStore {
  label: string;
  get(name: string): Promise<{ reader: ByteReader; meta: string | null } | null>;
  set(name: string, bytes: Uint8Array, meta: string | null): Promise<void>;
  delete(name: string): Promise<void>;
  list(): Promise<{ name: string; size: number }[]>;
}

const COMPLETE = 'complete/';
const PARTIAL = 'partial/';

/** A FileCache over an EntryStore: complete entries under 'complete/', partial ones under 'partial/'. */
export function storeFileCache(store: EntryStore): FileCache {
  return {
    label: store.label,
    get: async (key) => (await store.get(COMPLETE + key))?.reader ?? null,
    has: async (key) => (await store.get(COMPLETE + key)) !== null,
    put: async (key, bytes) => {
      await store.set(COMPLETE + key, bytes, null);
      await store.delete(PARTIAL + key);
    },
    delete: async (key) => {
      await store.delete(COMPLETE + key);
      await store.delete(PARTIAL + key);
    },
    list: async () =>
      (await store.list()).filter((e) => e.name.startsWith(COMPLETE)).map((e) => ({ key: e.name.slice(COMPLETE.length), size: e.size })),
    getPartial: async (key) => {
      const e = await store.get(PARTIAL + key);
      return e ? partialFromStored(await readAll(e.reader), e.meta) : null;
    },
    putPartial: (key, part) => store.set(PARTIAL + key, part.bytes, partialMeta(part)),
    deletePartial: (key) => store.delete(PARTIAL + key),
  };
}

/** An in-memory EntryStore. Stores copies, so callers may reuse their buffers. */
export function memoryStore(): EntryStore {
  const entries = new Map<string, { bytes: Uint8Array; meta: string | null }>();
  return {
    label: 'memory',
    get: async (name) => {
      const e = entries.get(name);
      return e ? { reader: bytesReader(e.bytes), meta: e.meta } : null;
    },
    set: async (name, bytes, meta) => {
      entries.set(name, { bytes: bytes.slice(), meta });
    },
    delete: async (name) => {
      entries.delete(name);
    },
    list: async () => [...entries].map(([name, e]) => ({ name, size: e.bytes.byteLength })),
  };
}

/** An in-memory FileCache, for tests and for sessions that should leave nothing behind. */
export function memoryFileCache(): FileCache {
  return storeFileCache(memoryStore());
}
