/**
 * The browser ShardStore on IndexedDB through idb-keyval, in its own database ('webift-shards' by default). Each
 * shard is two records written in ONE transaction (setMany): `data:<key>` (the bytes) and `info:<key>` (size + meta),
 * so a crash leaves both or neither; list() and usage() read only the small info records. Partials likewise
 * (`part:` + `partinfo:`). Not handled: shards larger than the browser's largest structured-clone value (~2 GB).
 */
import { createStore, delMany, get, getMany, keys, setMany, type UseStore } from 'idb-keyval';
import { indexedDbFactory } from '../../platform/env';
import { bytesReader } from '../../util/byte-reader';
import { byKey, checkKey, ShardStoreError, type ShardInfo, type ShardMeta, type ShardStore } from './shard-store';

interface Info {
  size: number;
  meta: ShardMeta;
}

interface PartInfo {
  size: number;
  total: number | null;
  etag: string | null;
}

export function idbShardStore(dbName = 'webift-shards', storeName = 'shards'): ShardStore {
  let db: UseStore | null = null;
  // idb-keyval opens the global indexedDB; ask platform/ first so a missing one is a clear error, not a ReferenceError.
  const use = (): UseStore => {
    if (db) return db;
    if (!indexedDbFactory()) throw new ShardStoreError('IndexedDB is not available here (private mode, or Node without fake-indexeddb)');
    return (db = createStore(dbName, storeName));
  };
  const infos = async <T>(prefix: string): Promise<[string, T][]> => {
    const ks = (await keys<string>(use())).filter((k) => typeof k === 'string' && k.startsWith(prefix));
    const vals = await getMany<T>(ks, use());
    return ks.flatMap((k, i) => (vals[i] === undefined ? [] : [[k.slice(prefix.length), vals[i] as T] as [string, T]]));
  };
  return {
    label: `IndexedDB '${dbName}'`,
    put: async (key, bytes, meta) => {
      checkKey(key);
      await setMany([[`data:${key}`, bytes.slice()], [`info:${key}`, { size: bytes.byteLength, meta: { ...meta } } satisfies Info]], use());
      await delMany([`part:${key}`, `partinfo:${key}`], use());
    },
    get: async (key) => {
      const [bytes, info] = await getMany<unknown>([`data:${key}`, `info:${key}`], use());
      if (!(bytes instanceof Uint8Array) || !info) return null;
      const { size, meta } = info as Info;
      if (bytes.byteLength !== size) throw new ShardStoreError(`${dbName}: shard '${key}' holds ${bytes.byteLength} bytes but its record says ${size}`);
      return { key, size, meta, reader: bytesReader(bytes) };
    },
    has: async (key) => (await get(`info:${key}`, use())) !== undefined,
    list: async () => (await infos<Info>('info:')).map(([key, i]): ShardInfo => ({ key, size: i.size, meta: i.meta })).sort(byKey),
    delete: async (key) => {
      await delMany([`data:${key}`, `info:${key}`, `part:${key}`, `partinfo:${key}`], use());
    },
    getPartial: async (key) => {
      const [bytes, info] = await getMany<unknown>([`part:${key}`, `partinfo:${key}`], use());
      if (!(bytes instanceof Uint8Array) || !info) return null;
      const p = info as PartInfo;
      if (p.size !== bytes.byteLength || (p.total !== null && p.total < p.size)) return null; // inconsistent: start over
      return { bytes, total: p.total, etag: p.etag };
    },
    putPartial: async (key, part) => {
      checkKey(key);
      const info: PartInfo = { size: part.bytes.byteLength, total: part.total, etag: part.etag };
      await setMany([[`part:${key}`, part.bytes.slice()], [`partinfo:${key}`, info]], use());
    },
    deletePartial: async (key) => {
      await delMany([`part:${key}`, `partinfo:${key}`], use());
    },
    listPartials: async () => (await infos<PartInfo>('partinfo:')).map(([key, p]): ShardInfo => ({ key, size: p.size, meta: { total: p.total } })).sort(byKey),
    usage: async () => {
      const shards = await infos<Info>('info:');
      const parts = await infos<PartInfo>('partinfo:');
      return {
        shards: shards.length,
        bytes: shards.reduce((a, [, i]) => a + i.size, 0),
        partialBytes: parts.reduce((a, [, p]) => a + p.size, 0),
      };
    },
  };
}
