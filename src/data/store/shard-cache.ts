/**
 * A ShardStore seen as a FileCache, so that hub/download.ts (Range resume, retries, If-Range) streams shards into it
 * unchanged. `put` is where a finished download becomes a shard: `verify` checks it first (size, checksum) and may
 * refuse it with a CorruptShardError, in which case nothing is stored. Not handled: FileCache's 404 markers (a
 * shard is listed before it is pulled, so a 404 is an error for the caller).
 */
import type { FileCache } from '../hub/file-cache';
import type { ShardMeta, ShardStore } from './shard-store';

export class CorruptShardError extends Error {
  override name = 'CorruptShardError';
}

export function shardCache(store: ShardStore, verify: (key: string, bytes: Uint8Array) => Promise<ShardMeta>): FileCache {
  return {
    label: store.label,
    get: async (key) => (await store.get(key))?.reader ?? null,
    has: (key) => store.has(key),
    put: async (key, bytes) => store.put(key, bytes, await verify(key, bytes)),
    delete: (key) => store.delete(key),
    list: async () => (await store.list()).map(({ key, size }) => ({ key, size })),
    getPartial: (key) => store.getPartial(key),
    putPartial: (key, part) => store.putPartial(key, part),
    deletePartial: (key) => store.deletePartial(key),
  };
}
