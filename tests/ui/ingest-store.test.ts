/**
 * The Data screen's ingest logic: tag filtering (any tag within a group, all groups with a selection) on a small
 * hand-made catalogue and on the real one, text search, named mixes as shares, replacing a mix entry in place, and
 * the store's verbs against a fake ingest client: Add to mix pulls first, a named mix is all or nothing, the filter
 * sends the API key only in its call, and the kept set replaces its source in the mix.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DataSourceRef } from '../../src/experiment/experiment';
import type { CatalogueInfo, DatasetEntry, IngestApi } from '../../src/protocol/ingest-api';
import { filterCatalogue, formatBytes, formatCount, ingestSourceOf, namedMixItems, tagCounts, withSource } from '../../src/ui/stores/catalogue';
import { createIngest, type IngestClient, type IngestHost } from '../../src/ui/stores/ingest-store';
import type { UiError } from '../../src/ui/stores/run-state';
import { catalogueInfo } from '../../src/worker-handlers/ingest-handlers';
import { validateManifest } from '../../src/data/manifest';

const real = catalogueInfo(validateManifest(JSON.parse(readFileSync('datasets-manifest.json', 'utf8'))));
const entry = (id: string, lang: string[], task: string[], gen: string[], extra: Partial<DatasetEntry> = {}) =>
  ({ id, name: id, collection: 'c', role: 'train', format: 'alpaca', tags: { lang, task, gen }, records: 1, bytes: 1, license: 'MIT', source: 'https://x', ...extra }) as DatasetEntry;
const small = [
  entry('a', ['EN'], ['MT'], ['HG']),
  entry('b', ['CN'], ['MT'], ['SI']),
  entry('c', ['EN', 'CN'], ['TS'], ['SI'], { license: 'Apache-2.0', name: 'Code thing' }),
  entry('d', ['ML'], ['MT'], ['COL']),
];
const ids = (es: DatasetEntry[]) => es.map((e) => e.id);

describe('filterCatalogue', () => {
  const f = (tags: string[], q = '') => ids(filterCatalogue(small, new Set(tags), real.tags, q));
  it('ORs within a group and ANDs across groups', () => {
    expect(f([])).toEqual(['a', 'b', 'c', 'd']);
    expect(f(['CN'])).toEqual(['b', 'c']);
    expect(f(['EN', 'CN'])).toEqual(['a', 'b', 'c']); // EN or CN
    expect(f(['EN', 'CN', 'MT'])).toEqual(['a', 'b']); // (EN or CN) and MT
    expect(f(['SI', 'TS'])).toEqual(['c']);
    expect(f(['ML', 'HG'])).toEqual([]);
  });
  it('matches every search word in id, name, collection or licence, case-insensitively', () => {
    expect(f([], 'apache')).toEqual(['c']);
    expect(f([], 'CODE thing')).toEqual(['c']);
    expect(f(['EN'], 'code nope')).toEqual([]);
  });
  it('on the real catalogue: 13 of 48 entries carry CN; "alpagasus 9k" finds the two 9k AlpaGasus sets', () => {
    const cn = ids(filterCatalogue(real.datasets, new Set(['CN']), real.tags, ''));
    expect(real.datasets).toHaveLength(48);
    expect(cn).toHaveLength(13);
    expect(cn).toContain('belle-0.5m');
    expect(cn).not.toContain('alpaca');
    expect(ids(filterCatalogue(real.datasets, new Set(), real.tags, 'alpagasus 9k')).sort()).toEqual(['alpagasus-chatgpt-9k', 'alpagasus-random-9k']);
    expect(tagCounts(real.datasets).get('CN')).toBe(13);
  });
});

describe('mix helpers', () => {
  it('named mixes become shares: concat ratios capped at 1, interleave weights scaled to a largest of 1', () => {
    expect(namedMixItems({ name: 'm', sources: [{ id: 'a' }, { id: 'b', ratio: 0.5 }, { id: 'c', ratio: 3 }] })).toEqual([{ id: 'a', weight: 1 }, { id: 'b', weight: 0.5 }, { id: 'c', weight: 1 }]);
    expect(namedMixItems({ name: 'm', strategy: 'interleave-under', sources: [{ id: 'a', ratio: 4 }, { id: 'b', ratio: 1 }] })).toEqual([{ id: 'a', weight: 1 }, { id: 'b', weight: 0.25 }]);
    const abc = real.mixes.find((m) => m.name === 'alpaca-belle-cot')!;
    expect(namedMixItems(abc)).toEqual([{ id: 'alpaca-cleaned', weight: 1 }, { id: 'belle-0.5m', weight: 1 }, { id: 'cot-en', weight: 1 }]);
  });
  it('withSource replaces in place keeping the share, appends new names, never duplicates', () => {
    const mix: DataSourceRef[] = [{ name: 'x', url: '/x', weight: 0.5 }, { name: 'y', url: '/y', weight: 1 }];
    expect(withSource(mix, { name: 'x-kept', url: '', weight: 1 }, 'x')).toEqual([{ name: 'x-kept', url: '', weight: 0.5 }, { name: 'y', url: '/y', weight: 1 }]);
    expect(withSource(mix, { name: 'z', url: '', weight: 0.3 })).toEqual([...mix, { name: 'z', url: '', weight: 0.3 }]);
    expect(withSource(mix, { name: 'y', url: '', weight: 0.2 })).toEqual([mix[0], { name: 'y', url: '', weight: 0.2 }]);
  });
  it('mix entries become ingest sources: URLs made absolute, texts from the dropped map, unknown texts skipped', () => {
    const dropped = new Map([['mine.jsonl', '{"instruction":"a","output":"b"}']]);
    expect(ingestSourceOf({ name: 't', url: '/data/synthetic/t.jsonl', weight: 1 }, dropped, 'http://localhost:4173')).toEqual({ kind: 'url', name: 't', url: 'http://localhost:4173/data/synthetic/t.jsonl' });
    expect(ingestSourceOf({ name: 'mine.jsonl', url: '', weight: 1 }, dropped, 'http://h')).toEqual({ kind: 'text', name: 'mine.jsonl', text: dropped.get('mine.jsonl') });
    expect(ingestSourceOf({ name: 'gone', url: '', weight: 1 }, dropped, 'http://h')).toBeNull();
    // Stored sources are read from the ShardStore, never from a text kept in the tab.
    expect(ingestSourceOf({ name: 'dolly', url: '', weight: 1, stored: { entry: 'dolly' } }, new Map([['dolly', 'x']]), 'http://h')).toEqual({ kind: 'dataset', id: 'dolly' });
    expect(ingestSourceOf({ name: 'k.jsonl', url: '', weight: 1, stored: { set: 'filtered/k.jsonl' } }, dropped, 'http://h')).toEqual({ kind: 'stored', name: 'k.jsonl', key: 'filtered/k.jsonl' });
  });
  it('formats sizes and counts for people', () => {
    expect([formatBytes(512), formatBytes(34_300_000), formatBytes(1.5e9), formatBytes(null)]).toEqual(['512 B', '34 MB', '1.5 GB', '?']);
    expect([formatCount(74771), formatCount(1_500_000, true), formatCount(600), formatCount(null)]).toEqual(['75k', '~1.5M', '600', '?']);
  });
});

type Calls = { method: string; params: unknown }[];
function fakes(opts: { failPull?: string } = {}) {
  const calls: Calls = [];
  const errors: (UiError | null)[] = [];
  let mix: DataSourceRef[] = [{ name: 'tasks-en', url: '/data/synthetic/tasks-en.jsonl', weight: 1 }];
  let changed = 0;
  const host: IngestHost = { mix: () => mix, setMix: (m) => (mix = m), dropped: new Map(), dataChanged: () => changed++, setError: (e) => errors.push(e) };
  const client: IngestClient = {
    call: (async (method: keyof IngestApi, params: unknown, o?: { onProgress?: (p: unknown) => void }) => {
      calls.push({ method, params });
      if (method === 'manifest') return real satisfies CatalogueInfo;
      if (method === 'pulled') return [];
      if (method === 'pull') {
        const id = (params as { id: string }).id;
        o?.onProgress?.({ file: 'f', fileLoaded: 5, fileTotal: 10, bytesDone: 5, bytesTotal: 10, filesDone: 0, filesTotal: 1 });
        if (id === opts.failPull) throw Object.assign(new Error('HTTP 404'), { details: '' });
        return { id, repo: 'r', revision: 'main', files: 1, bytes: 10, downloadedBytes: 10 };
      }
      if (method === 'records') return { name: 'n', jsonl: `{"from":${JSON.stringify(params)}}\n`, records: 1, rejected: 0 };
      if (method === 'filter') {
        o?.onProgress?.({ rated: 1, total: 2, kept: 1, histogram: { bins: [], unparsed: 0 } });
        return { name: 'tasks-en-alpagasus4.5.jsonl', key: 'filtered/k', total: 2, kept: 1, rejected: 1, rated: 2, reused: 0, threshold: 4.5, histogram: { bins: [], unparsed: 0 }, ms: 5 };
      }
      throw new Error(`unexpected ${method}`);
    }) as IngestClient['call'],
  };
  return { calls, errors, host, client, mix: () => mix, changed: () => changed };
}

describe('the ingest store', () => {
  it('Add to mix pulls first, then puts the records in the mix as a text source with its share', async () => {
    const f = fakes();
    const s = createIngest(f.host, () => f.client, 'http://h');
    await s.loadCatalogue();
    await s.addToMix('dolly', 0.4);
    expect(f.calls.map((c) => c.method)).toEqual(['manifest', 'pulled', 'pull', 'records']);
    expect(f.mix()).toEqual([{ name: 'tasks-en', url: '/data/synthetic/tasks-en.jsonl', weight: 1 }, { name: 'dolly', url: '', weight: 0.4, stored: { entry: 'dolly' } }]);
    expect(f.host.dropped.get('dolly')).toContain('"id":"dolly"');
    expect(s.pulled().has('dolly')).toBe(true);
    expect(s.pull()).toBeNull();
    expect(f.changed()).toBe(1);
    // Previews and the filter read the pulled entry from its stored files, the embedded file by its URL.
    expect(s.sources().map((x) => x.source)).toEqual([{ kind: 'url', name: 'tasks-en', url: 'http://h/data/synthetic/tasks-en.jsonl' }, { kind: 'dataset', id: 'dolly' }]);
  });

  it('a named mix replaces the mix only when every source arrived; a failed pull leaves it as it was', async () => {
    const bad = fakes({ failPull: 'belle-0.5m' });
    const s = createIngest(bad.host, () => bad.client, 'http://h');
    await s.loadCatalogue();
    await s.useNamedMix('alpaca-belle-cot');
    expect(bad.mix().map((d) => d.name)).toEqual(['tasks-en']);
    expect(bad.errors.at(-1)?.message).toMatch(/belle-0.5m could not be pulled/);
    const good = fakes();
    const t = createIngest(good.host, () => good.client, 'http://h');
    await t.loadCatalogue();
    await t.useNamedMix('alpaca-belle-cot');
    expect(good.mix().map((d) => d.name)).toEqual(['alpaca-cleaned', 'belle-0.5m', 'cot-en']);
  });

  it('the filter gets the endpoint with its key in the call only; the kept set replaces its source', async () => {
    const f = fakes();
    const s = createIngest(f.host, () => f.client, 'http://h');
    s.setEndpoint({ baseUrl: 'http://rater/v1', model: 'm', apiKey: 'sk-secret' });
    await s.runFilter();
    const call = f.calls.find((c) => c.method === 'filter')!.params as { source: unknown; endpoint: { apiKey: string }; threshold: number };
    expect(call.source).toEqual({ kind: 'url', name: 'tasks-en', url: 'http://h/data/synthetic/tasks-en.jsonl' });
    expect(call.endpoint.apiKey).toBe('sk-secret');
    expect(call.threshold).toBe(4.5);
    expect(s.filtered()?.kept).toBe(1);
    await s.useFiltered();
    expect(f.mix()).toEqual([{ name: 'tasks-en-alpagasus4.5.jsonl', url: '', weight: 1, stored: { set: 'filtered/k' } }]);
    expect(JSON.stringify(f.mix())).not.toContain('sk-secret');
    expect(f.host.dropped.get('tasks-en-alpagasus4.5.jsonl')).toContain('filtered/k');
  });

  it("with this tab's model the filter gets the session's port (moved, not copied), no endpoint or key, and the port's server is stopped after", async () => {
    const f = fakes();
    const ch = new MessageChannel();
    let stopped = 0;
    f.host.localRater = async () => ({ port: ch.port2, label: "this tab's model (tiny)", stop: () => void stopped++ });
    const seen: { transfer?: Transferable[] }[] = [];
    const call = f.client.call;
    f.client.call = ((m: keyof IngestApi, p: unknown, o?: { transfer?: Transferable[] }) => (m === 'filter' && seen.push(o ?? {}), call(m as 'filter', p as never, o as never))) as IngestClient['call'];
    const s = createIngest(f.host, () => f.client, 'http://h');
    s.setEndpoint({ baseUrl: 'http://rater/v1', model: 'm', apiKey: 'sk-secret' });
    s.setRaterKind('local');
    await s.runFilter();
    const params = f.calls.find((c) => c.method === 'filter')!.params as { endpoint: unknown; raterPort: unknown };
    expect(params.endpoint).toEqual({ baseUrl: '', model: '', apiKey: '' });
    expect(params.raterPort).toBe(ch.port2);
    expect(seen[0].transfer).toEqual([ch.port2]);
    expect(stopped).toBe(1);
    expect(s.filtered()?.kept).toBe(1);
    ch.port1.close();
  });
});
