/**
 * One contract for every FileCache (memory, filesystem): atomic complete entries, partial entries kept apart and
 * never served as complete, list with sizes, delete. Plus the hub URL layout and cache keys.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryFileCache, readAll, type FileCache } from '../../src/data/hub/file-cache';
import { cacheKey, missingKey, resolveUrl } from '../../src/data/hub/url';
import { defaultCacheDir, fsFileCache } from '../../src/node/fs-file-cache';

describe('resolveUrl and cacheKey', () => {
  it('builds HF resolve URLs for models and datasets, encoding segments but keeping slashes', () => {
    expect(resolveUrl({ repo: 'org/m', file: 'config.json' })).toBe('https://huggingface.co/org/m/resolve/main/config.json');
    expect(resolveUrl({ host: 'http://h:8080/', repo: 'org/m', revision: 'refs/pr/3', file: 'a b/c#d.json' }))
      .toBe('http://h:8080/org/m/resolve/refs%2Fpr%2F3/a%20b/c%23d.json');
    expect(resolveUrl({ repo: 'tatsu-lab/alpaca', repoType: 'dataset', revision: 'abc123', file: 'data/train-00000-of-00001.parquet' }))
      .toBe('https://huggingface.co/datasets/tatsu-lab/alpaca/resolve/abc123/data/train-00000-of-00001.parquet');
    expect(() => resolveUrl({ repo: 'org/m', file: '../secret' })).toThrow(/'\.\.'/);
  });

  it('gives distinct keys for host, type, repo, revision and file', () => {
    const base = { host: 'https://huggingface.co', repo: 'org/m', revision: 'main', file: 'f' };
    const keys = [
      base,
      { ...base, host: 'http://127.0.0.1:9' },
      { ...base, repoType: 'dataset' as const },
      { ...base, repo: 'org/n' },
      { ...base, revision: 'v2' },
      { ...base, file: 'g' },
    ].map(cacheKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys[0]).toBe('huggingface.co/models/org%2Fm/main/f');
    expect(missingKey(base)).not.toBe(cacheKey(base));
  });
});

const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

const impls: [string, () => FileCache][] = [
  ['memory', () => memoryFileCache()],
  ['filesystem', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'webift-cache-'));
    tmp.push(dir);
    return fsFileCache(dir);
  }],
];

describe.each(impls)('FileCache contract: %s', (_name, make) => {
  const key = 'huggingface.co/models/org%2Fm/main/sub dir/weights (1).bin';
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 255);

  it('stores, reads, lists and deletes complete entries', async () => {
    const c = make();
    expect(await c.get(key)).toBeNull();
    expect(await c.has(key)).toBe(false);
    await c.put(key, bytes);
    expect(await c.has(key)).toBe(true);
    const r = (await c.get(key))!;
    expect(await r.size()).toBe(1000);
    expect(await r.read(10, 5)).toEqual(bytes.subarray(10, 15));
    expect(await readAll(r)).toEqual(bytes);
    await c.put('other/key', new Uint8Array(3));
    expect((await c.list()).sort((a, b) => a.key.localeCompare(b.key))).toEqual([{ key, size: 1000 }, { key: 'other/key', size: 3 }]);
    await c.delete(key);
    expect(await c.get(key)).toBeNull();
    expect(await c.list()).toEqual([{ key: 'other/key', size: 3 }]);
  });

  it('keeps partial entries apart: never served, never listed, replaced by put', async () => {
    const c = make();
    const part = { bytes: bytes.subarray(0, 400), total: 1000, etag: '"abc"' };
    await c.putPartial(key, part);
    expect(await c.get(key)).toBeNull();
    expect(await c.has(key)).toBe(false);
    expect(await c.list()).toEqual([]);
    expect(await c.getPartial(key)).toEqual({ bytes: bytes.subarray(0, 400), total: 1000, etag: '"abc"' });
    await c.putPartial(key, { ...part, bytes: bytes.subarray(0, 600) });
    expect((await c.getPartial(key))!.bytes.byteLength).toBe(600);
    await c.put(key, bytes);
    expect(await c.getPartial(key)).toBeNull();
    await c.putPartial(key, part);
    await c.deletePartial(key);
    expect(await c.getPartial(key)).toBeNull();
    expect(await c.has(key)).toBe(true);
  });

  it('rejects keys that could escape the cache', async () => {
    const c = make();
    if (c.label === 'memory') return; // memory keys are plain map keys
    await expect(c.put('a/../../etc/passwd', bytes)).rejects.toThrow(/'\.\.'/);
  });
});

describe('fsFileCache on disk', () => {
  it('writes through tmp/ (left empty), and reads a partial whose validator disagrees as absent', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'webift-cache-'));
    tmp.push(dir);
    const c = fsFileCache(dir);
    await c.put('h/k', new Uint8Array(8));
    await c.putPartial('h/p', { bytes: new Uint8Array(5), total: 9, etag: null });
    expect(readdirSync(path.join(dir, 'tmp'))).toEqual([]);
    writeFileSync(path.join(dir, 'partial', 'h', 'p.partial'), new Uint8Array(7)); // as if a crash hit between the two writes
    expect(await c.getPartial('h/p')).toBeNull();
  });

  it('defaults to WEBIFT_CACHE_DIR, else ~/.cache/webift/hub', () => {
    const saved = process.env.WEBIFT_CACHE_DIR;
    process.env.WEBIFT_CACHE_DIR = '/tmp/somewhere';
    expect(defaultCacheDir()).toBe('/tmp/somewhere');
    delete process.env.WEBIFT_CACHE_DIR;
    expect(defaultCacheDir()).toBe(path.join(os.homedir(), '.cache', 'webift', 'hub'));
    if (saved !== undefined) process.env.WEBIFT_CACHE_DIR = saved;
  });
});
