/**
 * pullShards against the local HF-layout server over the committed public/data/synthetic: byte-identical shards with
 * progress; a second pull fetches nothing; a dropped connection resumes with Range (in one call, and across a
 * "reload" with a fresh filesystem store); a host that ignores Range still gives identical bytes; a too-small quota
 * stops cleanly before the file that would not fit; a corrupt or wrongly sized shard is a clear error, not stored.
 */
import { execFileSync } from 'node:child_process';
import { promises as fsp, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DownloadError } from '../../src/data/hub/download';
import { CorruptShardError, globToRegExp, pullShards, PullError, QuotaError, type PullOptions, type PullProgress } from '../../src/data/shards';
import { memoryShardStore } from '../../src/data/store/memory-shard-store';
import { readShard, type ShardStore } from '../../src/data/store/shard-store';
import { fsShardStore } from '../../src/node/fs-shard-store';
import { storageQuota } from '../../src/platform/env';
import { SYNTHETIC_DIR } from '../helpers/fixtures';
import { startHubServer, type HubServer, type HubServerOptions } from './hub-server';

const REPO_DIR = SYNTHETIC_DIR;
const SMALL = ['test-tasks-en.jsonl', 'test-tasks-zh.jsonl'];
const disk = (f: string) => new Uint8Array(readFileSync(path.join(REPO_DIR, f)));
const noSleep = async () => undefined;
/** Byte equality without vitest's element-by-element diff (slow on 400 kB arrays). */
const same = (a: Uint8Array | null, b: Uint8Array) => a !== null && Buffer.compare(a, b) === 0;

describe('globToRegExp', () => {
  it('matches within and across segments', () => {
    expect(globToRegExp('*.tsv').test('qasc_train.tsv')).toBe(true);
    expect(globToRegExp('*.tsv').test('sub/qasc_train.tsv')).toBe(false);
    expect(globToRegExp('**/*.tsv').test('sub/deeper/x.tsv')).toBe(true);
    expect(globToRegExp('**/*.tsv').test('x.tsv')).toBe(true);
    expect(globToRegExp('{qasc,strategyqa}_train.tsv').test('strategyqa_train.tsv')).toBe(true);
    expect(globToRegExp('{qasc,strategyqa}_train.tsv').test('aqua_train.tsv')).toBe(false);
    expect(globToRegExp('data/train-0000?.parquet').test('data/train-00001.parquet')).toBe(true);
    expect(globToRegExp('a.b').test('aXb')).toBe(false);
  });
});

describe('storageQuota in Node', () => {
  it('is the free space of the disk under the folder (statfs), with usage 0', async () => {
    const q = await storageQuota(os.tmpdir());
    const s = await fsp.statfs(os.tmpdir());
    expect(q).not.toBeNull();
    expect(q!.usage).toBe(0);
    // Free space moves a little between the two calls; within 64 MiB of statfs's bavail * bsize.
    expect(Math.abs(q!.quota - s.bavail * s.bsize)).toBeLessThan(64 * 2 ** 20);
    expect(q!.quota).toBeGreaterThan(0);
  });
});

describe('pullShards over the local hub server', () => {
  const servers: HubServer[] = [];
  const tmp: string[] = [];
  const serve = async (o: Partial<HubServerOptions> = {}) => {
    const s = await startHubServer({ repos: { 'datasets/webift/synthetic': REPO_DIR }, ...o });
    servers.push(s);
    return s;
  };
  const base = (hub: HubServer, store: ShardStore): PullOptions => ({ host: hub.host, repo: 'webift/synthetic', revision: 'r1', files: SMALL, store, quota: async () => null, sleep: noSleep });
  const gets = (hub: HubServer) => hub.requests.filter((r) => !r.file.startsWith('tree:'));
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });
  afterAll(async () => {
    for (const d of tmp) await fsp.rm(d, { recursive: true, force: true });
  });

  it('stores byte-identical shards with git sha1 meta and monotone progress; a second pull fetches nothing', async () => {
    const hub = await serve();
    const store = memoryShardStore();
    const events: PullProgress[] = [];
    const r = await pullShards({ ...base(hub, store), onProgress: (p) => events.push(p) });
    const total = SMALL.reduce((a, f) => a + disk(f).byteLength, 0);
    expect(r.shards.map((s) => [s.path, s.status])).toEqual(SMALL.map((f) => [f, 'downloaded']));
    expect(r.bytes).toBe(total);
    expect(r.downloadedBytes).toBe(total);
    for (const s of r.shards) expect(same(await readShard(store, s.key), disk(s.path))).toBe(true);
    const meta = (await store.get(r.shards[0].key))!.meta;
    expect(meta.gitSha1).toBe(execFileSync('git', ['hash-object', path.join(REPO_DIR, SMALL[0])], { encoding: 'utf8' }).trim());
    expect(meta.source).toBe(`${hub.host}/datasets/webift/synthetic/resolve/r1/test-tasks-en.jsonl`);
    for (let i = 1; i < events.length; i++) expect(events[i].bytesDone).toBeGreaterThanOrEqual(events[i - 1].bytesDone);
    expect(events.at(-1)).toMatchObject({ bytesDone: total, bytesTotal: total, filesDone: 2, filesTotal: 2, file: SMALL[1] });

    const again = await pullShards(base(hub, store));
    expect(again.shards.map((s) => s.status)).toEqual(['cached', 'cached']);
    expect(again.downloadedBytes).toBe(0);
    expect(gets(hub)).toHaveLength(2); // only the first pull's two GETs
  });

  it('a glob selects files; a path not in the listing is a PullError', async () => {
    const hub = await serve();
    const r = await pullShards({ ...base(hub, memoryShardStore()), files: undefined, glob: 'test-tasks-{en,zh}.jsonl' });
    expect(r.shards.map((s) => s.path)).toEqual(SMALL);
    await expect(pullShards({ ...base(hub, memoryShardStore()), files: ['nope.tsv'] })).rejects.toThrow(PullError);
    await expect(pullShards({ ...base(hub, memoryShardStore()), files: undefined, glob: '*.parquet' })).rejects.toThrow(/no file matches '\*\.parquet'/);
  });

  it('a dropped connection resumes with Range within one pull: identical bytes', async () => {
    const hub = await serve({ dropOnce: SMALL[1] });
    const store = memoryShardStore();
    await pullShards(base(hub, store));
    expect(same(await readShard(store, (await store.list())[1].key), disk(SMALL[1]))).toBe(true);
    const tries = gets(hub).filter((q) => q.file === SMALL[1]);
    const half = Math.floor(disk(SMALL[1]).byteLength / 2);
    expect(tries.map((q) => [q.status, q.range])).toEqual([[200, null], [206, `bytes=${half}-`]]);
  });

  it('resumes after a reload: the partial survives in the filesystem store and a fresh instance continues it', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'webift-pull-'));
    tmp.push(dir);
    const hub = await serve({ dropOnce: SMALL[0] });
    const err = await pullShards({ ...base(hub, fsShardStore(dir)), retries: 0 }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    const half = Math.floor(disk(SMALL[0]).byteLength / 2);
    expect((err as DownloadError).kept).toBe(half);
    expect(await fsShardStore(dir).usage()).toEqual({ shards: 0, bytes: 0, partialBytes: half });

    const r = await pullShards(base(hub, fsShardStore(dir))); // "after a reload": a new store over the same folder
    expect(r.shards.map((s) => s.status)).toEqual(['downloaded', 'downloaded']);
    expect(same(await readShard(fsShardStore(dir), r.shards[0].key), disk(SMALL[0]))).toBe(true);
    expect(gets(hub).filter((q) => q.file === SMALL[0]).map((q) => q.status)).toEqual([200, 206]);
    expect((await fsShardStore(dir).usage()).partialBytes).toBe(0);
  });

  it('a host that ignores Range: the retry starts over (200) and the shard is still identical', async () => {
    const hub = await serve({ dropOnce: SMALL[0], ignoreRange: true });
    const store = memoryShardStore();
    const r = await pullShards(base(hub, store));
    expect(same(await readShard(store, r.shards[0].key), disk(SMALL[0]))).toBe(true);
    expect(gets(hub).filter((q) => q.file === SMALL[0]).map((q) => [q.status, q.range !== null])).toEqual([[200, false], [200, true]]);
  });

  it('a quota too small for the second file: QuotaError before requesting it, the first intact, nothing half-written', async () => {
    const hub = await serve();
    const store = memoryShardStore();
    const first = disk(SMALL[0]).byteLength;
    // A budget that holds the first file and 1000 bytes more; usage follows the store, as estimate() would.
    const quota = async () => ({ usage: (await store.usage()).bytes, quota: first + 1000 });
    const err = await pullShards({ ...base(hub, store), quota }).catch((e) => e);
    expect(err).toBeInstanceOf(QuotaError);
    expect((err as Error).message).toMatch(/test-tasks-zh\.jsonl needs \d+ bytes but only 1000 are free.*stopped before writing it \(1 of 2 files stored/);
    expect(gets(hub).map((q) => q.file)).toEqual([SMALL[0]]);
    expect(await store.usage()).toEqual({ shards: 1, bytes: first, partialBytes: 0 });
  });

  it('a corrupt shard (git sha1 mismatch) is a CorruptShardError; neither shard nor partial is kept', async () => {
    const hub = await serve({ corrupt: SMALL[0] });
    const store = memoryShardStore();
    await expect(pullShards(base(hub, store))).rejects.toThrow(/test-tasks-en\.jsonl: git blob sha1 [0-9a-f]{40} does not match the listing's [0-9a-f]{40}; corrupt shard not stored/);
    expect(await store.usage()).toEqual({ shards: 0, bytes: 0, partialBytes: 0 });
  });

  it('an LFS shard is checked by sha256', async () => {
    const hub = await serve({ corrupt: SMALL[0], lfs: () => true });
    const err = await pullShards(base(hub, memoryShardStore())).catch((e) => e);
    expect(err).toBeInstanceOf(CorruptShardError);
    expect((err as Error).message).toMatch(/sha256 [0-9a-f]{64} does not match/);
    const ok = await serve({ lfs: () => true });
    const store = memoryShardStore();
    const r = await pullShards(base(ok, store));
    expect((await store.get(r.shards[0].key))!.meta.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a listing size the server contradicts is a CorruptShardError, nothing stored', async () => {
    const hub = await serve();
    const store = memoryShardStore();
    // The listing claims one byte more than the file has.
    const lying = (async (url: string, init?: RequestInit) => {
      const res = await fetch(url, init);
      if (!url.includes('/api/')) return res;
      const list = (await res.json()) as { path: string; size: number }[];
      return new Response(JSON.stringify(list.map((f) => ({ ...f, size: f.size + 1 }))), { headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    await expect(pullShards({ ...base(hub, store), fetch: lying })).rejects.toThrow(/announces \d+ bytes but \d+ were expected; not stored/);
    expect(await store.usage()).toEqual({ shards: 0, bytes: 0, partialBytes: 0 });
  });
});
