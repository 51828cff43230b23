/**
 * Stored data sources in the experiment: the schema accepts `stored: {entry}` / `stored: {set}` (and links made
 * before it existed) and refuses anything else riding along; the share link round-trips them. Then, over the real
 * ingest handlers on IndexedDB (fake-indexeddb): which stored sources a mix lacks, their records read back as the
 * texts prepareData trains on, the link offer (all or nothing, pull then restore), and the Storage screen's list and
 * delete of 'webift-shards', where deleting one item leaves every other one byte-exact and readable.
 */
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultExperiment, type Experiment } from '../../src/experiment/experiment';
import { decodeExperiment, encodeExperiment } from '../../src/experiment/share-link';
import { validateExperiment } from '../../src/experiment/validate';
import { createClient, type Client } from '../../src/protocol/client';
import { serveHandlers } from '../../src/protocol/serve';
import type { IngestApi } from '../../src/protocol/ingest-api';
import type { Endpoint } from '../../src/protocol/wire';
import { cacheKey } from '../../src/data/hub/url';
import { idbShardStore } from '../../src/data/store/idb-shard-store';
import { readShard, type ShardStore } from '../../src/data/store/shard-store';
import { createIngestHandlers } from '../../src/worker-handlers/ingest-handlers';
import { parseSource } from '../../src/worker-handlers/train-data';
import { missingMessage, missingStored, resolveStoredTexts } from '../../src/ui/stores/stored-sources';
import { createLinkOffer } from '../../src/ui/stores/link-offer';
import type { UiError } from '../../src/ui/stores/run-state';

const manifest = JSON.parse(readFileSync('datasets-manifest.json', 'utf8')) as unknown;
const enc = (s: string) => new TextEncoder().encode(s);
const key = (file: string) => cacheKey({ repo: 'QingyiSi/Alpaca-CoT', revision: 'main', file, repoType: 'dataset' });
/** dolly/dolly.json as the catalogue's 'dolly' entry stores it (alpaca shape): 3 rows, the second without an output. */
const DOLLY = JSON.stringify([{ instruction: 'Name a colour', input: '', output: 'Blue' }, { instruction: 'No output' }, { instruction: 'Add', input: '2 and 3', output: '5' }]);
const GPTEACHER = JSON.stringify([{ instruction: 'Say hi', input: '', output: 'Hi' }]);
const KEPT = '{"instruction":"Kept one","input":"","output":"Yes"}\n';
const SET_KEY = 'filtered/tasks-en-alpagasus4.5.jsonl';

const withData = (data: Experiment['data']): Experiment => ({ ...defaultExperiment(), data });
const dolly = { name: 'dolly', url: '', weight: 0.5, stored: { entry: 'dolly' } };
const kept = { name: 'tasks-en-alpagasus4.5.jsonl', url: '', weight: 1, stored: { set: SET_KEY } };

describe('stored sources in the experiment schema and the share link', () => {
  it('round-trips a pulled entry and a kept set through the link', () => {
    const x = withData([{ name: 'tasks-en', url: '/data/synthetic/tasks-en.jsonl', weight: 1 }, dolly, kept]);
    const d = decodeExperiment(encodeExperiment(x));
    expect(d.ok && d.value).toEqual(x);
  });
  it('still decodes a link made before stored sources existed (a dropped file: url "" and no stored)', () => {
    const old = withData([{ name: 'mine.jsonl', url: '', weight: 1 }]);
    const d = decodeExperiment(encodeExperiment(old));
    expect(d.ok && d.value.data).toEqual([{ name: 'mine.jsonl', url: '', weight: 1 }]);
  });
  it('refuses a stored source with a URL, a path-like id, a foreign key, extra fields, or both refs', () => {
    const bad = (d: unknown) => {
      const v = validateExperiment({ ...defaultExperiment(), data: [d] });
      return v.ok ? [] : v.errors;
    };
    expect(bad({ ...dolly, url: 'https://evil.example/x.jsonl' })).toEqual([`experiment.data[0].url must be '' for a stored source (got "https://evil.example/x.jsonl")`]);
    expect(bad({ ...dolly, stored: { entry: '../../etc' } })[0]).toMatch(/^experiment\.data\[0\]\.stored\.entry must be text like/);
    expect(bad({ ...kept, stored: { set: 'checkpoints/step-1' } })[0]).toMatch(/^experiment\.data\[0\]\.stored\.set must be text like/);
    expect(bad({ ...dolly, stored: { entry: 'dolly', apiKey: 'sk-x' } })).toEqual(['experiment.data[0].stored.apiKey is not a known field']);
    expect(bad({ ...dolly, stored: { entry: 'dolly', set: SET_KEY } })).toEqual(['experiment.data[0].stored.entry is not a known field']);
    expect(bad({ ...dolly, stored: 'dolly' })).toEqual(['experiment.data[0].stored must be an object']);
  });
});

let dbN = 0;
function ingest(store: ShardStore): Client<IngestApi> {
  const ch = new MessageChannel();
  ch.port1.start();
  ch.port2.start();
  serveHandlers<IngestApi>(ch.port2 as unknown as Endpoint, createIngestHandlers({ manifest, store, fetch: () => Promise.reject(new Error('no network in this test')) }));
  return createClient<IngestApi>(ch.port1 as unknown as Endpoint);
}
async function filled() {
  const store = idbShardStore(`webift-shards-stored-${dbN++}`);
  await store.put(key('dolly/dolly.json'), enc(DOLLY), { source: 'test' });
  await store.put(key('GPTeacher/GPTeacher.json'), enc(GPTEACHER), { source: 'test' });
  await store.put(SET_KEY, enc(KEPT), { source: 'test' });
  await store.put('scores/tasks-en/0badcafe.jsonl', enc('{"index":0,"score":5}\n'), { source: 'test' });
  await store.putPartial(key('alpaca/alpaca_data.json'), { bytes: enc('[{"instr'), total: 100, etag: null });
  const c = ingest(store);
  return { store, c, client: () => c };
}

describe('resolving stored sources from IndexedDB', () => {
  it('finds nothing missing when the entry and the set are stored, and reads them as prepareData will', async () => {
    const { client, c } = await filled();
    expect(await missingStored([dolly, kept], client)).toEqual({ entries: [], sets: [] });
    const texts = new Map<string, string>();
    expect(await resolveStoredTexts([{ name: 'tasks-en', url: '/x.jsonl', weight: 1 }, dolly, kept], texts, client)).toBe(2);
    // The alpaca converter drops the row without an output; prepareData parses the JSON Lines the worker returned.
    expect(parseSource('dolly', texts.get('dolly')!).records).toEqual([{ instruction: 'Name a colour', input: '', output: 'Blue' }, { instruction: 'Add', input: '2 and 3', output: '5' }]);
    expect(parseSource(kept.name, texts.get(kept.name)!).records).toEqual([{ instruction: 'Kept one', input: '', output: 'Yes' }]);
    expect(await resolveStoredTexts([dolly, kept], texts, client)).toBe(0); // already read: no second trip
    c.close();
  });

  it('names what is missing: an entry to pull, a set that cannot be downloaded', async () => {
    const { client, c } = await filled();
    const gone = { name: 'x-alpagasus4.5.jsonl', url: '', weight: 1, stored: { set: 'filtered/x-alpagasus4.5.jsonl' } };
    const m = await missingStored([dolly, { name: 'alpaca', url: '', weight: 1, stored: { entry: 'alpaca' } }, gone], client);
    expect(m).toEqual({ entries: ['alpaca'], sets: [{ name: gone.name, key: gone.stored.set }] });
    expect(missingMessage(m)).toBe("This link's data mix uses alpaca from the dataset catalogue (not pulled in this browser yet) and the filtered set x-alpagasus4.5.jsonl (made by the AlpaGasus filter in another browser; it cannot be downloaded).");
    await expect(resolveStoredTexts([{ name: 'alpaca', url: '', weight: 1, stored: { entry: 'alpaca' } }], new Map(), client)).rejects.toThrow("'alpaca' has not been pulled yet");
    c.close();
  });

  it('the link offer restores at once when all is here, else nothing until the pull succeeded', async () => {
    const { client, c } = await filled();
    const restored: Experiment[] = [], errors: (UiError | null)[] = [];
    let pullOk = false;
    const pulls: string[] = [];
    const offer = createLinkOffer({
      client, replace: (x) => (restored.push(x), null), restored: () => undefined, setError: (e) => errors.push(e),
      pull: async (id) => (pulls.push(id), pullOk),
    });
    expect(await offer.open(withData([dolly, kept]))).toBe(true);
    expect(restored).toHaveLength(1);
    const link = withData([dolly, { name: 'alpaca', url: '', weight: 1, stored: { entry: 'alpaca' } }]);
    expect(await offer.open(link)).toBe(false);
    expect(offer.pending()?.missing.entries).toEqual(['alpaca']);
    expect(await offer.pullAndOpen()).toBe(false); // the pull failed (or was cancelled): still nothing restored
    expect(restored).toHaveLength(1);
    pullOk = true;
    expect(await offer.pullAndOpen()).toBe(true);
    expect(pulls).toEqual(['alpaca', 'alpaca']);
    expect(restored.at(-1)).toEqual(link);
    expect(offer.pending()).toBeNull();
    expect(errors).toEqual([]);
    c.close();
  });
});

describe("the Storage screen's view of 'webift-shards'", () => {
  it('lists files, the unfinished download, scores and the kept set with sizes and owners', async () => {
    const { c } = await filled();
    const items = await c.call('storedItems', {});
    expect(items.map((i) => [i.kind, i.label, i.bytes, i.entries.join(',')])).toEqual([
      ['kept-set', 'tasks-en-alpagasus4.5.jsonl', KEPT.length, ''],
      ['dataset-file', 'GPTeacher/GPTeacher.json (QingyiSi/Alpaca-CoT)', GPTEACHER.length, 'gpteacher'],
      ['dataset-file', 'dolly/dolly.json (QingyiSi/Alpaca-CoT)', DOLLY.length, 'dolly'],
      ['scores', 'scores of tasks-en', 22, ''],
      ['partial', 'alpaca/alpaca_data.json (QingyiSi/Alpaca-CoT)', 8, 'alpaca'],
    ]);
    c.close();
  });

  it('deleting one item leaves the rest byte-exact and readable; delete all empties the database', async () => {
    const { store, c } = await filled();
    expect((await c.call('pulled', {})).sort()).toEqual(['dolly', 'gpteacher']);
    expect(await c.call('deleteStored', { key: key('dolly/dolly.json') })).toBe(1);
    expect(await c.call('deleteStored', { key: key('dolly/dolly.json') })).toBe(0); // already gone
    expect(await c.call('pulled', {})).toEqual(['gpteacher']);
    expect(new TextDecoder().decode((await readShard(store, key('GPTeacher/GPTeacher.json')))!)).toBe(GPTEACHER);
    expect(new TextDecoder().decode((await readShard(store, SET_KEY))!)).toBe(KEPT);
    expect((await c.call('records', { source: { kind: 'dataset', id: 'gpteacher' } })).records).toBe(1);
    expect(await c.call('deleteStored', { key: key('alpaca/alpaca_data.json'), partial: true })).toBe(1);
    expect(await store.getPartial(key('alpaca/alpaca_data.json'))).toBeNull();
    expect(await store.usage()).toEqual({ shards: 3, bytes: GPTEACHER.length + KEPT.length + 22, partialBytes: 0 });
    await store.putPartial(key('alpaca/alpaca_data.json'), { bytes: enc('[{'), total: null, etag: null });
    expect(await c.call('deleteStored', {})).toBe(4);
    expect(await c.call('storedItems', {})).toEqual([]);
    expect(await store.usage()).toEqual({ shards: 0, bytes: 0, partialBytes: 0 });
    c.close();
  });
});
