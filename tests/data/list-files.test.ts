/**
 * listFiles against the local HF-layout server over the committed public/ folder: sizes from disk, git blob oids equal to
 * `git hash-object`, Link-header paging giving the same files as one page, the non-recursive level, and clear errors.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles, ListFilesError, nextLink, type ListedFile } from '../../src/data/hub/list-files';
import { SYNTHETIC_DIR } from '../helpers/fixtures';
import { startHubServer, type HubServer } from './hub-server';

const SYN = SYNTHETIC_DIR;
const PUBLIC = path.resolve(SYNTHETIC_DIR, '../..');
const SYN_FILES = ['arith-en-cot.jsonl', 'arith-en-direct.jsonl', 'arith-zh-cot.jsonl', 'arith-zh-direct.jsonl', 'corpus.jsonl', 'demo-test.jsonl', 'demo-train.jsonl',
  'index.json', 'tasks-en.jsonl', 'tasks-zh.jsonl', 'test-arith-en.jsonl', 'test-arith-zh.jsonl', 'test-tasks-en.jsonl', 'test-tasks-zh.jsonl'];

async function all(it: AsyncIterable<ListedFile>): Promise<ListedFile[]> {
  const out: ListedFile[] = [];
  for await (const f of it) out.push(f);
  return out;
}

describe('nextLink', () => {
  it('finds rel="next" among several links, and nothing otherwise', () => {
    expect(nextLink('<https://h/api?cursor=b>; rel="next"')).toBe('https://h/api?cursor=b');
    expect(nextLink('<https://h/a?p=1>; rel="prev", <https://h/a?p=3>; rel=next')).toBe('https://h/a?p=3');
    expect(nextLink('<https://h/a?p=1>; rel="prev"')).toBeNull();
    expect(nextLink(null)).toBeNull();
  });
});

describe('listFiles over the local hub server', () => {
  let hub: HubServer, paged: HubServer;
  beforeAll(async () => {
    const repos = { 'datasets/webift/synthetic': SYN, 'datasets/t/public': PUBLIC };
    hub = await startHubServer({ repos });
    paged = await startHubServer({ repos, pageSize: 2, lfs: (f) => f === 'corpus.jsonl' });
  });
  afterAll(async () => {
    await hub.close();
    await paged.close();
  });

  it('lists every file with its size on disk and git blob oid (= `git hash-object`)', async () => {
    const files = await all(listFiles({ host: hub.host, repo: 'webift/synthetic', revision: 'abc123' }));
    expect(files.map((f) => f.path)).toEqual(SYN_FILES);
    for (const f of files) expect(f.size).toBe(statSync(path.join(SYN, f.path)).size);
    const q = files.find((f) => f.path === 'index.json')!;
    expect(q.oid).toBe(execFileSync('git', ['hash-object', path.join(SYN, 'index.json')], { encoding: 'utf8' }).trim());
  });

  it('follows the Link cursor page by page to the same files', async () => {
    const before = paged.requests.length;
    const files = await all(listFiles({ host: paged.host, repo: 'webift/synthetic' }));
    expect(files.map((f) => f.path)).toEqual(SYN_FILES);
    expect(paged.requests.length - before).toBe(7); // 14 files, 2 a page
    expect(files.find((f) => f.path === 'corpus.jsonl')?.lfs?.size).toBe(statSync(path.join(SYN, 'corpus.jsonl')).size);
  });

  it('recursive lists nested files; non-recursive only the first level', async () => {
    const deep = await all(listFiles({ host: hub.host, repo: 't/public' }));
    const top = await all(listFiles({ host: hub.host, repo: 't/public', recursive: false }));
    expect(top.map((f) => [f.type, f.path])).toEqual([['directory', 'data'], ['directory', 'models']]);
    expect(deep.some((f) => f.type === 'file' && f.path === 'models/webift-tiny/config.json')).toBe(true);
    expect(deep.filter((f) => f.path.startsWith('data/synthetic/')).map((f) => f.path)).toEqual(SYN_FILES.map((f) => `data/synthetic/${f}`));
    const sub = await all(listFiles({ host: hub.host, repo: 't/public', path: 'models' }));
    expect(sub.map((f) => f.path)).toContain('models/webift-tiny/model.safetensors');
    expect(sub.every((f) => f.path.startsWith('models/'))).toBe(true);
  });

  it('a missing repo is a ListFilesError with status 404 and a hint', async () => {
    const p = all(listFiles({ host: hub.host, repo: 'nobody/nothing' }));
    await expect(p).rejects.toThrow(ListFilesError);
    await expect(all(listFiles({ host: hub.host, repo: 'nobody/nothing' }))).rejects.toThrow(/HTTP 404.*no such repo/);
  });
});

describe('listFiles with an injected fetch', () => {
  it('resolves a relative next link against the page URL and refuses a non-array body', async () => {
    const seen: string[] = [];
    const fetchFn = (async (url: string) => {
      seen.push(url);
      if (!url.includes('cursor')) return new Response(JSON.stringify([{ type: 'file', path: 'a.json', size: 1, oid: 'x' }]), { headers: { Link: '</api/datasets/o/n/tree/main?recursive=true&cursor=2>; rel="next"' } });
      return new Response(JSON.stringify([{ type: 'file', path: 'b.json', size: 2, oid: 'y' }]));
    }) as typeof fetch;
    const files = await all(listFiles({ host: 'http://h.test', repo: 'o/n', fetch: fetchFn }));
    expect(files.map((f) => f.path)).toEqual(['a.json', 'b.json']);
    expect(seen).toEqual(['http://h.test/api/datasets/o/n/tree/main?recursive=true&expand=false', 'http://h.test/api/datasets/o/n/tree/main?recursive=true&cursor=2']);
    const bad = (async () => new Response('{"error":"x"}')) as unknown as typeof fetch;
    await expect(all(listFiles({ host: 'http://h.test', repo: 'o/n', fetch: bad }))).rejects.toThrow(/not a JSON array/);
  });
});
