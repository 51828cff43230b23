/**
 * ShardStore: where pulled dataset files (shards) live, one interface for IndexedDB (browser), the filesystem (Node)
 * and memory (tests). A shard is stored whole and atomically with a small JSON metadata record, or not at all; an
 * interrupted download is kept apart as a partial entry (bytes so far + size + ETag) to resume from with HTTP Range.
 * Not handled: eviction, locking between two writers of one key (the last write wins), quotas (shards.ts asks platform/).
 */
import type { ByteReader } from '../../util/byte-reader';
import type { PartialDownload } from '../hub/file-cache';

export type { PartialDownload };

/** JSON-serialisable facts about a shard: where it came from and how it was checked. */
export interface ShardMeta {
  /** The URL it was downloaded from, or a file path. */
  source?: string;
  /** Hex sha256 when the listing gave one (LFS files) and it was checked. */
  sha256?: string;
  /** Hex git blob sha1 when the listing gave one (non-LFS files) and it was checked. */
  gitSha1?: string;
  /** ISO time of the write. */
  storedAt?: string;
  [extra: string]: string | number | boolean | null | undefined;
}

export interface ShardInfo {
  key: string;
  /** Bytes. */
  size: number;
  meta: ShardMeta;
}

export interface StoredShard extends ShardInfo {
  reader: ByteReader;
}

export interface ShardUsage {
  /** Complete shards. */
  shards: number;
  /** Bytes in complete shards. */
  bytes: number;
  /** Bytes held by partial downloads. */
  partialBytes: number;
}

export interface ShardStore {
  /** For messages: a folder, 'memory', "IndexedDB 'webift-shards'". */
  label: string;
  /** Stores a complete shard atomically (readers see the old shard or the whole new one) and drops its partial. */
  put(key: string, bytes: Uint8Array, meta: ShardMeta): Promise<void>;
  /** A complete shard, or null. Never a partial download. */
  get(key: string): Promise<StoredShard | null>;
  has(key: string): Promise<boolean>;
  /** Complete shards, sorted by key. */
  list(): Promise<ShardInfo[]>;
  /** Removes the shard and its partial; a missing key is fine. */
  delete(key: string): Promise<void>;
  getPartial(key: string): Promise<PartialDownload | null>;
  /** Replaces the partial entry atomically. */
  putPartial(key: string, part: PartialDownload): Promise<void>;
  deletePartial(key: string): Promise<void>;
  /** Partial downloads (key + bytes so far), sorted by key; optional (the Storage screen lists them where present). */
  listPartials?(): Promise<ShardInfo[]>;
  usage(): Promise<ShardUsage>;
}

export class ShardStoreError extends Error {
  override name = 'ShardStoreError';
}

/** Keys are '/'-separated paths without empty, '.' or '..' segments (so every store can map them to names). */
export function checkKey(key: string): string {
  const segs = key.split('/');
  if (segs.some((s) => s === '' || s === '.' || s === '..')) throw new ShardStoreError(`shard key '${key}' has an empty, '.' or '..' segment`);
  return key;
}

export function byKey(a: { key: string }, b: { key: string }): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Reads a whole shard into memory (null when absent). */
export async function readShard(store: ShardStore, key: string): Promise<Uint8Array | null> {
  const s = await store.get(key);
  return s && s.reader.read(0, s.size);
}
