/**
 * The ingest worker's handlers through comlink (createClient + serveHandlers on a MessageChannel), as the page calls them:
 * the catalogue as bundled, a pull from a local HF-layout server into a memory ShardStore (progress, then a resume
 * from a stored partial with HTTP Range), a preview through the entry's converter with the rejected row's reason,
 * and the AlpaGasus filter against a fake OpenAI endpoint on loopback: histogram, kept set usable as JSON Lines,
 * the key sent only as a header, and an abort mid-run that keeps its scores so the rerun rates only the rest.
 */
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '../../src/protocol/client';
import { serveHandlers } from '../../src/protocol/serve';
import type { IngestApi, FilterProgress } from '../../src/protocol/ingest-api';
import type { Endpoint } from '../../src/protocol/wire';
import { memoryShardStore } from '../../src/data/store/memory-shard-store';
import { cacheKey } from '../../src/data/hub/url';
import { readShard, type ShardStore } from '../../src/data/store/shard-store';
import { createIngestHandlers, type IngestOptions } from '../../src/worker-handlers/ingest-handlers';
import { filteredName } from '../../src/worker-handlers/ingest-filter';
import { startHubServer, type HubServer } from '../data/hub-server';
import { startFakeOpenAi, type FakeOpenAi } from '../data/filter-fake-openai';

const MANIFEST = JSON.parse(readFileSync('datasets-manifest.json', 'utf8')) as { datasets: unknown[] };
/** The real catalogue plus one dolly-shaped entry served by the local hub. */
const TEST_ENTRY = {
  id: 'test-dolly', name: 'Dolly-shaped test set', collection: 'test', role: 'train', format: 'dolly',
  hub: { repo: 'test-org/dolly', repoType: 'dataset', revision: 'main', files: ['data/dolly.jsonl'], split: 'train', verified: true },
  tags: { lang: ['EN'], task: ['MT'], gen: ['HG'] }, records: 6, bytes: null, license: 'CC0', source: 'https://example.org/dolly',
};
const manifest = { ...MANIFEST, datasets: [...MANIFEST.datasets, TEST_ENTRY] };

/** 5 good dolly rows and one without a response (line 4). */
const DOLLY = [0, 1, 2, 3, 4, 5].map((i) => JSON.stringify(i === 3 ? { instruction: 'Broken', context: '' } : { instruction: `Name fruit ${i}`, context: i % 2 ? `ctx ${i}` : '', response: `Fruit ${i}`, category: 'qa' })).join('\n') + '\n';

function serve(o: Partial<IngestOptions> & { store: ShardStore }): Client<IngestApi> {
  const ch = new MessageChannel();
  ch.port1.start();
  ch.port2.start();
  serveHandlers<IngestApi>(ch.port2 as unknown as Endpoint, createIngestHandlers({ manifest, ...o }));
  return createClient<IngestApi>(ch.port1 as unknown as Endpoint);
}

describe('catalogue', () => {
  it('lists the bundled manifest, its named mixes and the 9 tags by group', async () => {
    const c = serve({ store: memoryShardStore() });
    const m = await c.call('manifest', {});
    expect(m.datasets).toHaveLength(49); // 48 in datasets-manifest.json + the test entry
    expect(m.mixes.map((x) => x.name)).toContain('alpaca-belle-cot');
    expect(m.mixes).toHaveLength(10);
    expect(m.tags.map((t) => `${t.group}:${t.tag}`)).toEqual(['Lang:EN', 'Lang:CN', 'Lang:ML', 'Task:MT', 'Task:TS', 'Gen:HG', 'Gen:SI', 'Gen:MIX', 'Gen:COL']);
    expect(await c.call('pulled', {})).toEqual([]);
    c.close();
  });
});

describe('pull and preview', () => {
  let hub: HubServer;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'webift-ingest-'));
  beforeAll(async () => {
    mkdirSync(path.join(dir, 'data'), { recursive: true });
    writeFileSync(path.join(dir, 'data/dolly.jsonl'), DOLLY);
    hub = await startHubServer({ repos: { 'datasets/test-org/dolly': dir } });
  });
  afterAll(() => hub.close());

  it('pulls with progress, then previews the converted records and the rejected row', async () => {
    const store = memoryShardStore();
    const c = serve({ store, host: hub.host });
    const seen: number[] = [];
    const r = await c.call('pull', { id: 'test-dolly' }, { onProgress: (p) => seen.push(p.bytesDone) });
    expect(r).toMatchObject({ id: 'test-dolly', files: 1, bytes: DOLLY.length, downloadedBytes: DOLLY.length });
    expect(seen.at(-1)).toBe(DOLLY.length);
    expect(await c.call('pulled', {})).toEqual(['test-dolly']);
    const p = await c.call('preview', { source: { kind: 'dataset', id: 'test-dolly' }, limit: 2 });
    expect(p).toMatchObject({ shape: 'dolly', rows: 6, records: 5, rejectedCount: 1 });
    expect(p.first).toEqual([
      { where: 'line 1', record: { instruction: 'Name fruit 0', input: '', output: 'Fruit 0' } },
      { where: 'line 2', record: { instruction: 'Name fruit 1', input: 'ctx 1', output: 'Fruit 1' } },
    ]);
    expect(p.rejected[0].where).toBe('line 4');
    expect(p.rejected[0].reason).toMatch(/response/);
    // A second pull finds it stored and fetches nothing.
    expect((await c.call('pull', { id: 'test-dolly' })).downloadedBytes).toBe(0);
    c.close();
  });

  it('resumes from a stored partial with a Range request', async () => {
    const store = memoryShardStore();
    const key = cacheKey({ host: hub.host, repo: 'test-org/dolly', revision: 'main', file: 'data/dolly.jsonl', repoType: 'dataset' });
    const half = new TextEncoder().encode(DOLLY).slice(0, 100);
    await store.putPartial(key, { bytes: half, total: DOLLY.length, etag: null });
    hub.requests.length = 0;
    const c = serve({ store, host: hub.host });
    await c.call('pull', { id: 'test-dolly' });
    expect(hub.requests.filter((q) => q.file === 'data/dolly.jsonl').map((q) => [q.range, q.status])).toEqual([['bytes=100-', 206]]);
    expect(new TextDecoder().decode((await readShard(store, key))!)).toBe(DOLLY);
    c.close();
  });

  it('refuses an entry that is not pulled, and one that lives only on GitHub, with a clear message', async () => {
    const c = serve({ store: memoryShardStore(), host: hub.host });
    await expect(c.call('preview', { source: { kind: 'dataset', id: 'test-dolly' }, limit: 1 })).rejects.toThrow(/has not been pulled yet/);
    const gh = (MANIFEST.datasets as { id: string; hub?: unknown }[]).find((d) => !d.hub);
    if (gh) await expect(c.call('pull', { id: gh.id })).rejects.toThrow(/not on the Hugging Face hub/);
    await expect(c.call('pull', { id: 'no-such-set' })).rejects.toThrow(/not in the dataset catalogue/);
    c.close();
  });
});

describe('AlpaGasus filter', () => {
  let fake: FakeOpenAi;
  /** Record i scores SCORES[i % 4]: 5, 4.5, 3 and an unparsable answer. */
  const SCORES = ['5\nexact', '4.5\nfine', '3\nweak', 'I cannot rate this'];
  const records = Array.from({ length: 10 }, (_, i) => JSON.stringify({ instruction: `Task ${i}`, input: '', output: `Answer ${i}` })).join('\n');
  const source = { kind: 'text' as const, name: 'ten.jsonl', text: records };
  const endpoint = () => ({ baseUrl: fake.baseUrl, model: 'fake-rater', apiKey: 'sk-test-123' });

  beforeAll(async () => {
    fake = await startFakeOpenAi((user) => SCORES[Number(/Task (\d+)/.exec(user)![1]) % 4], { key: 'sk-test-123' });
  });
  afterEach(() => {
    fake.requests.length = 0;
  });
  afterAll(() => fake.close());

  it('rates every record, streams the running histogram, and stores the kept set as JSON Lines', async () => {
    const store = memoryShardStore();
    const c = serve({ store });
    const progress: FilterProgress[] = [];
    const r = await c.call('filter', { source, endpoint: endpoint(), threshold: 4.5, limit: 0, batchSize: 4 }, { onProgress: (p) => progress.push(p) });
    // i % 4 over 0..9: scores 5 (i=0,4,8), 4.5 (1,5,9), 3 (2,6), unparsable (3,7).
    expect(r.histogram.bins.map((b) => b.count)).toEqual([0, 0, 0, 0, 0, 0, 2, 0, 0, 3, 3]);
    expect(r.histogram.unparsed).toBe(2);
    expect(r).toMatchObject({ total: 10, kept: 6, rejected: 4, rated: 10, reused: 0, threshold: 4.5, name: filteredName('ten.jsonl', 4.5) });
    expect(progress.map((p) => p.rated)).toEqual([0, 4, 8, 10]);
    expect(progress.map((p) => p.kept)).toEqual([0, 2, 4, 6]);
    expect(fake.requests).toHaveLength(10);
    expect(fake.requests.every((q) => q.auth === 'Bearer sk-test-123' && q.model === 'fake-rater' && q.temperature === 0)).toBe(true);
    const kept = await c.call('records', { source: { kind: 'stored', name: r.name, key: r.key } });
    expect(kept.records).toBe(6);
    expect(kept.jsonl.split('\n').filter(Boolean).map((l) => JSON.parse(l).instruction)).toEqual(['Task 0', 'Task 1', 'Task 4', 'Task 5', 'Task 8', 'Task 9']);
    // The key is in no stored byte.
    for (const s of await store.list()) expect(new TextDecoder().decode((await readShard(store, s.key))!)).not.toContain('sk-test-123');
    c.close();
  });

  it('an abort mid-run keeps the scores so far; the rerun rates only the rest', async () => {
    const store = memoryShardStore();
    const c = serve({ store });
    const ctrl = new AbortController();
    const run = c.call('filter', { source, endpoint: endpoint(), threshold: 4.5, limit: 0, batchSize: 2 }, {
      signal: ctrl.signal,
      onProgress: (p) => {
        if (p.rated >= 4) ctrl.abort();
      },
    });
    await expect(run).rejects.toThrow(/cancelled/);
    // The worker side stops after the batch in flight; give it a moment to write the scores.
    await new Promise((r) => setTimeout(r, 200));
    // The abort reaches the worker while the next batch may be in flight: that batch is cancelled, not kept.
    const sent = fake.requests.length;
    expect(sent).toBeGreaterThanOrEqual(4);
    expect(sent).toBeLessThan(10);
    fake.requests.length = 0;
    const r = await c.call('filter', { source, endpoint: endpoint(), threshold: 4.5, limit: 0, batchSize: 2 });
    expect(r.reused).toBeGreaterThanOrEqual(4);
    expect(r.reused).toBeLessThanOrEqual(sent);
    expect(r.rated).toBe(10 - r.reused);
    expect(fake.requests).toHaveLength(10 - r.reused);
    expect(r.kept).toBe(6);
    c.close();
  });

  it('a wrong key is one clear error, and the limit rates only the first N', async () => {
    const c = serve({ store: memoryShardStore(), retries: 0 });
    await expect(c.call('filter', { source, endpoint: { ...endpoint(), apiKey: 'sk-wrong' }, threshold: 4.5, limit: 0 })).rejects.toThrow(/API key was rejected/);
    const r = await c.call('filter', { source, endpoint: endpoint(), threshold: 5, limit: 3 });
    expect(r).toMatchObject({ total: 3, kept: 1, rated: 3 });
    c.close();
  });
});
