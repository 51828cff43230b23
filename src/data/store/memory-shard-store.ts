/**
 * The in-memory ShardStore, for tests and for sessions that should leave nothing behind. Stores copies, so callers
 * may reuse their buffers; a Map assignment is the atomic write.
 */
import { bytesReader } from '../../util/byte-reader';
import { byKey, checkKey, type PartialDownload, type ShardMeta, type ShardStore } from './shard-store';

export function memoryShardStore(): ShardStore {
  const shards = new Map<string, { bytes: Uint8Array; meta: ShardMeta }>();
  const partials = new Map<string, PartialDownload>();
  return {
    label: 'memory',
    put: async (key, bytes, meta) => {
      shards.set(checkKey(key), { bytes: bytes.slice(), meta: { ...meta } });
      partials.delete(key);
    },
    get: async (key) => {
      const s = shards.get(key);
      return s ? { key, size: s.bytes.byteLength, meta: { ...s.meta }, reader: bytesReader(s.bytes) } : null;
    },
    has: async (key) => shards.has(key),
    list: async () => [...shards].map(([key, s]) => ({ key, size: s.bytes.byteLength, meta: { ...s.meta } })).sort(byKey),
    delete: async (key) => {
      shards.delete(key);
      partials.delete(key);
    },
    getPartial: async (key) => {
      const p = partials.get(key);
      return p ? { ...p, bytes: p.bytes.slice() } : null;
    },
    putPartial: async (key, part) => {
      partials.set(checkKey(key), { ...part, bytes: part.bytes.slice() });
    },
    deletePartial: async (key) => {
      partials.delete(key);
    },
    listPartials: async () => [...partials].map(([key, p]) => ({ key, size: p.bytes.byteLength, meta: { total: p.total } })).sort(byKey),
    usage: async () => {
      let bytes = 0, partialBytes = 0;
      for (const s of shards.values()) bytes += s.bytes.byteLength;
      for (const p of partials.values()) partialBytes += p.bytes.byteLength;
      return { shards: shards.size, bytes, partialBytes };
    },
  };
}
