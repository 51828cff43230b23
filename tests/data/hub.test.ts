/**
 * Hub loading end to end against a local HF-layout server (hub-server.ts) over the committed webift-tiny checkpoint:
 * a model loaded through hubModelSource + the fs cache gives the same logits as the folder, a second load makes
 * no request, a dropped connection resumes with Range (or restarts when Range is ignored), 404 reads as null.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { downloadFile, DownloadError, type DownloadProgress } from '../../src/data/hub/download';
import { memoryFileCache, readAll, type FileCache } from '../../src/data/hub/file-cache';
import { hubModelSource } from '../../src/data/hub/hub-source';
import { cacheKey, resolveUrl } from '../../src/data/hub/url';
import { loadModel } from '../../src/model/load';
import { forward } from '../../src/model/transformer';
import type { Model } from '../../src/model/types';
import { fsFileCache } from '../../src/node/fs-file-cache';
import { folderSource } from '../../src/node/fs-source';
import { initBackend } from '../../src/platform/backend';
import { EMBEDDED_MODEL_DIR } from '../helpers/fixtures';
import { startHubServer, type HubServer } from './hub-server';

const REPO = 'webift/webift-tiny';
const MODEL_DIR = EMBEDDED_MODEL_DIR;
const ST = 'model.safetensors';

/** Logits of a (B=2, T=6) batch, the second row left-padded (pad id 3, mask 0). */
function logits(model: Model): Float32Array {
  const ids = Int32Array.from([1, 50, 60, 70, 80, 90, 3, 3, 1, 100, 200, 300]);
  const out = forward(model, { ids, B: 2, T: 6, attentionMask: Int32Array.from([1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1]) });
  const data = out.logits!.dataSync() as Float32Array;
  out.logits!.dispose();
  return data;
}

/** Byte equality with the first differing index in the message (toEqual is slow on 0.5 MB arrays). */
function expectSameBytes(a: Uint8Array, b: Uint8Array): void {
  expect(a.byteLength).toBe(b.byteLength);
  const at = a.findIndex((x, i) => x !== b[i]);
  expect(at, `first differing byte at ${at}`).toBe(-1);
}

function expectMonotonicToTotal(events: DownloadProgress[], size: number): void {
  expect(events.length).toBeGreaterThan(1);
  for (let i = 1; i < events.length; i++) expect(events[i].loaded).toBeGreaterThan(events[i - 1].loaded);
  for (const e of events) expect(e.total).toBe(size);
  expect(events[events.length - 1].loaded).toBe(size);
}

describe('hub download from a local HF-layout server', () => {
  const tmp: string[] = [];
  let server: HubServer | null = null;
  const tempCache = (): { dir: string; cache: FileCache } => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'webift-hub-'));
    tmp.push(dir);
    return { dir, cache: fsFileCache(dir) };
  };
  const stRef = () => ({ host: server!.host, repo: REPO, revision: 'main', file: ST });
  const original = () => new Uint8Array(readFileSync(path.join(MODEL_DIR, ST)));

  beforeAll(async () => {
    await initBackend({ prefer: ['cpu'] });
  });
  afterEach(async () => {
    await server?.close();
    server = null;
  });
  afterAll(() => {
    for (const d of tmp) rmSync(d, { recursive: true, force: true });
  });

  it('loads webift-tiny through the hub with the same logits as the folder; the second load makes no request', async () => {
    server = await startHubServer({ repos: { [REPO]: MODEL_DIR } });
    const { cache } = tempCache();
    const events = new Map<string, DownloadProgress[]>();
    const onProgress = (file: string, p: DownloadProgress) => events.set(file, [...(events.get(file) ?? []), p]);
    const local = await loadModel(folderSource(MODEL_DIR));
    const hub = await loadModel(hubModelSource({ host: server.host, repo: REPO, cache, onProgress }));
    expect(logits(hub)).toEqual(logits(local));
    hub.dispose();

    const gets = server.requests.map((r) => `${r.status} ${r.file}`).sort();
    expect(gets).toEqual(['200 config.json', `200 ${ST}`, `404 ${ST}.index.json`]);
    expectMonotonicToTotal(events.get(ST)!, original().byteLength);
    const listed = await cache.list();
    expect(listed.find((e) => e.key === cacheKey(stRef()))?.size).toBe(original().byteLength);

    const before = server.requests.length;
    const again = await loadModel(hubModelSource({ host: server.host, repo: REPO, cache }));
    expect(server.requests.length).toBe(before);
    expect(logits(again)).toEqual(logits(local));
    again.dispose();
    local.dispose();
  });

  it('keeps the bytes of a dropped connection as a partial entry and resumes with Range', async () => {
    server = await startHubServer({ repos: { [REPO]: MODEL_DIR }, dropOnce: ST });
    const { dir, cache } = tempCache();
    const key = cacheKey(stRef());
    const url = resolveUrl(stRef());
    const size = original().byteLength;

    const first = await downloadFile({ url, cache, key }).then(() => null, (e: unknown) => e);
    expect(first).toBeInstanceOf(DownloadError);
    const err = first as DownloadError;
    expect(err.message).toMatch(new RegExp(`connection dropped after ${err.kept} of ${size} bytes.*${err.kept} bytes kept, retry resumes`));
    expect(err.kept).toBeGreaterThan(0);
    expect(err.kept).toBeLessThanOrEqual(size / 2);
    expect(await cache.get(key)).toBeNull();
    expect(await cache.has(key)).toBe(false);
    expect(await cache.list()).toEqual([]);
    const part = await cache.getPartial(key);
    expectSameBytes(part!.bytes, original().subarray(0, err.kept));
    expect(readFileSync(path.join(dir, 'partial', ...key.split('/').map(encodeURIComponent)) + '.partial').byteLength).toBe(err.kept);

    const events: DownloadProgress[] = [];
    const reader = await downloadFile({ url, cache, key, onProgress: (p) => events.push(p) });
    expect(server.requests.map((r) => [r.status, r.range])).toEqual([[200, null], [206, `bytes=${err.kept}-`]]);
    expect(server.requests[1].ifRange).toMatch(/^"[0-9a-f]{64}"$/);
    expectSameBytes(await readAll(reader!), original());
    expect(events[0].loaded).toBe(err.kept);
    expectMonotonicToTotal(events, size);
    expect(await cache.getPartial(key)).toBeNull();
    expect(await cache.list()).toEqual([{ key, size }]);
  });

  it('restarts cleanly when the server ignores Range (200 instead of 206)', async () => {
    server = await startHubServer({ repos: { [REPO]: MODEL_DIR }, dropOnce: ST, ignoreRange: true });
    const cache = memoryFileCache();
    const key = cacheKey(stRef());
    const url = resolveUrl(stRef());
    await expect(downloadFile({ url, cache, key })).rejects.toThrow(DownloadError);
    expect(await cache.has(key)).toBe(false);
    const kept = (await cache.getPartial(key))!.bytes.byteLength;

    const events: DownloadProgress[] = [];
    const reader = await downloadFile({ url, cache, key, onProgress: (p) => events.push(p) });
    expect(server.requests.map((r) => [r.status, r.range])).toEqual([[200, null], [200, `bytes=${kept}-`]]);
    expectSameBytes(await readAll(reader!), original());
    expectMonotonicToTotal(events, original().byteLength);
    expect(events[0].loaded).toBe(0);
    expect(await cache.getPartial(key)).toBeNull();
  });

  it('resumes within one call when retries are allowed', async () => {
    server = await startHubServer({ repos: { [REPO]: MODEL_DIR }, dropOnce: ST });
    const cache = memoryFileCache();
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    const reader = await downloadFile({ url: resolveUrl(stRef()), cache, key: cacheKey(stRef()), retries: 2, retryDelayMs: 5, sleep });
    expectSameBytes(await readAll(reader!), original());
    expect(waits).toEqual([5]);
    expect(server.requests.map((r) => r.status)).toEqual([200, 206]);
  });

  it('reads a missing file as null, and remembers that it is missing', async () => {
    server = await startHubServer({ repos: { [REPO]: MODEL_DIR } });
    const { cache } = tempCache();
    const src = hubModelSource({ host: server.host, repo: REPO, cache });
    expect(await src.readText('special_tokens_map.json')).toBeNull(); // a real HF file name this folder lacks
    expect(await src.reader('no/such/file.bin')).toBeNull();
    expect(server.requests.map((r) => r.status)).toEqual([404, 404]);
    expect(await hubModelSource({ host: server.host, repo: REPO, cache }).readText('special_tokens_map.json')).toBeNull();
    expect(server.requests.length).toBe(2);
    expect(JSON.parse((await src.readText('config.json'))!)).toEqual(JSON.parse(readFileSync(path.join(MODEL_DIR, 'config.json'), 'utf8')));
  });

  it('reports HTTP errors clearly and does not cache them', async () => {
    server = await startHubServer({ repos: {} });
    const cache = memoryFileCache();
    const fetch403: typeof globalThis.fetch = async () => new Response('gated', { status: 403, statusText: 'Forbidden' });
    const p = downloadFile({ url: resolveUrl(stRef()), cache, key: cacheKey(stRef()), fetch: fetch403 });
    await expect(p).rejects.toThrow(/HTTP 403 Forbidden \(a private or gated repo needs a token/);
    expect(await cache.list()).toEqual([]);
  });
});
