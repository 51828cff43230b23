/**
 * The ONE ShardStore contract, run by the memory, filesystem and IndexedDB test files: round trips with metadata,
 * replace, list order and sizes, delete, the partial lifecycle (put drops it; a mismatched one is refused), usage,
 * key validation, copies not aliases, and (where the store persists) a second instance seeing the same shards.
 */
import { describe, expect, it } from 'vitest';
import { readShard, type ShardStore } from '../../src/data/store/shard-store';

export interface ContractHooks {
  /** A fresh, empty store. */
  make(): Promise<ShardStore>;
  /** A second instance over the same backing (a reload); absent for memory. */
  reopen?(store: ShardStore): Promise<ShardStore>;
}

const bytes = (...xs: number[]) => Uint8Array.from(xs);

export function shardStoreContract(name: string, hooks: ContractHooks): void {
  describe(`ShardStore contract: ${name}`, () => {
    it('round-trips bytes and metadata; a missing key is null', async () => {
      const s = await hooks.make();
      expect(await s.get('a/b.json')).toBeNull();
      expect(await s.has('a/b.json')).toBe(false);
      await s.put('a/b.json', bytes(1, 2, 3), { source: 'http://x/a/b.json', sha256: 'ab' });
      const got = await s.get('a/b.json');
      expect(got?.size).toBe(3);
      expect(got?.meta).toEqual({ source: 'http://x/a/b.json', sha256: 'ab' });
      expect([...(await got!.reader.read(1, 2))]).toEqual([2, 3]);
      expect(await s.has('a/b.json')).toBe(true);
    });

    it('stores copies: changing the caller buffer after put changes nothing', async () => {
      const s = await hooks.make();
      const buf = bytes(9, 9);
      await s.put('k', buf, {});
      buf[0] = 0;
      expect([...(await readShard(s, 'k'))!]).toEqual([9, 9]);
    });

    it('put replaces a shard whole; list is sorted by key with sizes and meta', async () => {
      const s = await hooks.make();
      await s.put('z/2', bytes(1, 2, 3, 4), { v: 1 });
      await s.put('a/1', bytes(5), { v: 2 });
      await s.put('z/2', bytes(7, 7), { v: 3 });
      expect(await s.list()).toEqual([
        { key: 'a/1', size: 1, meta: { v: 2 } },
        { key: 'z/2', size: 2, meta: { v: 3 } },
      ]);
      expect([...(await readShard(s, 'z/2'))!]).toEqual([7, 7]);
    });

    it('keeps keys with odd characters apart (host:port, %2F-encoded repos, spaces)', async () => {
      const s = await hooks.make();
      const keys = ['127.0.0.1:80/datasets/org%2Fname/main/data/x y.json', '127.0.0.1:80/datasets/org%2Fname/main/data/x%20y.json'];
      await s.put(keys[0], bytes(1), {});
      await s.put(keys[1], bytes(2, 2), {});
      expect((await s.list()).map((e) => [e.key, e.size])).toEqual([[keys[1], 2], [keys[0], 1]].sort());
    });

    it('refuses keys with empty, . or .. segments', async () => {
      const s = await hooks.make();
      for (const k of ['', 'a//b', '../x', 'a/./b']) await expect(s.put(k, bytes(1), {})).rejects.toThrow(/segment/);
    });

    it('delete removes the shard and its partial; deleting a missing key is fine', async () => {
      const s = await hooks.make();
      await s.put('d', bytes(1), {});
      await s.putPartial('d', { bytes: bytes(1), total: 4, etag: '"e"' });
      await s.delete('d');
      await s.delete('never');
      expect(await s.get('d')).toBeNull();
      expect(await s.getPartial('d')).toBeNull();
      expect(await s.list()).toEqual([]);
    });

    it('partials: stored apart from shards, replaced, dropped by put, never listed as shards', async () => {
      const s = await hooks.make();
      expect(await s.getPartial('p')).toBeNull();
      await s.putPartial('p', { bytes: bytes(1, 2), total: 10, etag: '"abc"' });
      await s.putPartial('p', { bytes: bytes(1, 2, 3), total: 10, etag: '"abc"' });
      const part = await s.getPartial('p');
      expect(part && [...part.bytes]).toEqual([1, 2, 3]);
      expect(part?.total).toBe(10);
      expect(part?.etag).toBe('"abc"');
      expect(await s.get('p')).toBeNull();
      expect(await s.list()).toEqual([]);
      expect(await s.usage()).toEqual({ shards: 0, bytes: 0, partialBytes: 3 });
      await s.put('p', bytes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), {});
      expect(await s.getPartial('p')).toBeNull();
      await s.putPartial('q', { bytes: bytes(4), total: null, etag: null });
      await s.deletePartial('q');
      expect(await s.getPartial('q')).toBeNull();
    });

    it('usage counts complete shards and partial bytes', async () => {
      const s = await hooks.make();
      await s.put('u/1', new Uint8Array(100), {});
      await s.put('u/2', new Uint8Array(28), {});
      await s.putPartial('u/3', { bytes: new Uint8Array(7), total: 50, etag: null });
      expect(await s.usage()).toEqual({ shards: 2, bytes: 128, partialBytes: 7 });
    });

    it.runIf(!!hooks.reopen)('a second instance over the same backing sees shards and partials (a reload)', async () => {
      const s = await hooks.make();
      await s.put('r/1', bytes(4, 5, 6), { sha256: 'ff' });
      await s.putPartial('r/2', { bytes: bytes(1), total: 2, etag: '"t"' });
      const again = await hooks.reopen!(s);
      expect(await again.list()).toEqual([{ key: 'r/1', size: 3, meta: { sha256: 'ff' } }]);
      expect([...(await readShard(again, 'r/1'))!]).toEqual([4, 5, 6]);
      expect((await again.getPartial('r/2'))?.total).toBe(2);
    });
  });
}
