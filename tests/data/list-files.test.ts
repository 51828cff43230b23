/**
 * listFiles against the local HF-layout server over ../shared/data: sizes from disk, git blob oids equal to
 * `git hash-object`, Link-header paging giving the same files as one page, the non-recursive level, and clear errors.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles, ListFilesError, nextLink, type ListedFile } from '../../src/data/hub/list-files';
import { HAVE_SHARED, SHARED } from '../helpers/fixtures';
import { startHubServer, type HubServer } from './hub-server';

const FLAN = path.join(SHARED, 'data/flan-v2-cot');
const EVAL = path.join(SHARED, 'data/eval');

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

describe.skipIf(!HAVE_SHARED)('listFiles over the local hub server', () => {
  let hub: HubServer, paged: HubServer;
  beforeAll(async () => {
    const repos = { 'datasets/google/flan-cot': FLAN, 'datasets/t/eval': EVAL };
    hub = await startHubServer({ repos });
    paged = await startHubServer({ repos, pageSize: 2, lfs: (f) => f.startsWith('gsm8k') });
  });
  afterAll(async () => {
    await hub.close();
    await paged.close();
  });

  it('lists every file with its size on disk and git blob oid (= `git hash-object`)', async () => {
    const files = await all(listFiles({ host: hub.host, repo: 'google/flan-cot', revision: 'abc123' }));
    expect(files.map((f) => f.path)).toEqual(['aqua_train.tsv', 'creak_train.tsv', 'ecqa_train.tsv', 'gsm8k_train.tsv', 'qasc_train.tsv', 'sensemaking_train.tsv', 'strategyqa_train.tsv']);
    for (const f of files) expect(f.size).toBe(statSync(path.join(FLAN, f.path)).size);
    const q = files.find((f) => f.path === 'qasc_train.tsv')!;
    expect(q.oid).toBe(execFileSync('git', ['hash-object', path.join(FLAN, 'qasc_train.tsv')], { encoding: 'utf8' }).trim());
  });

  it('follows the Link cursor page by page to the same files', async () => {
    const before = paged.requests.length;
    const files = await all(listFiles({ host: paged.host, repo: 'google/flan-cot' }));
    expect(files).toHaveLength(7);
    expect(paged.requests.length - before).toBe(4); // 2 + 2 + 2 + 1
    expect(files.find((f) => f.path === 'gsm8k_train.tsv')?.lfs?.size).toBe(statSync(path.join(FLAN, 'gsm8k_train.tsv')).size);
  });

  it('recursive lists nested files; non-recursive only the first level', async () => {
    const deep = await all(listFiles({ host: hub.host, repo: 't/eval' }));
    const top = await all(listFiles({ host: hub.host, repo: 't/eval', recursive: false }));
    expect(top.map((f) => [f.type, f.path])).toEqual([['directory', 'alpagasus-test-sets'], ['directory', 'gsm8k-test']]);
    expect(deep.some((f) => f.type === 'file' && f.path.startsWith('gsm8k-test/'))).toBe(true);
    const sub = await all(listFiles({ host: hub.host, repo: 't/eval', path: 'gsm8k-test' }));
    expect(sub.length).toBeGreaterThan(0);
    expect(sub.every((f) => f.path.startsWith('gsm8k-test/'))).toBe(true);
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
