/**
 * The Node FileCache: a folder (WEBIFT_CACHE_DIR, default ~/.cache/webift/hub) holding complete/<key> files and
 * partial/<key>.partial downloads with a .partial.json validator beside them. Every write goes to tmp/ and is
 * renamed into place, so a crash never leaves a half file where a complete one is expected, and a .partial file
 * is never served as complete. Not handled: eviction, locking between processes (the last rename wins).
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { envVar } from '../platform/env';
import { CacheError, partialFromStored, partialMeta, type CacheEntryInfo, type FileCache } from '../data/hub/file-cache';
import { fileReader } from './fs-source';

export function defaultCacheDir(): string {
  return envVar('WEBIFT_CACHE_DIR') ?? path.join(os.homedir(), '.cache', 'webift', 'hub');
}

// Percent-encodes everything but [A-Za-z0-9._-], so a segment is a safe file name on every OS.
export function encodeSegment(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** A key's relative path: one folder level per '/' segment. */
function keyPath(key: string): string {
  const segs = key.split('/');
  for (const s of segs) if (s === '' || s === '.' || s === '..') throw new CacheError(`cache key '${key}' has an empty, '.' or '..' segment`);
  return path.join(...segs.map(encodeSegment));
}

async function isFile(p: string): Promise<boolean> {
  return fsp.stat(p).then((s) => s.isFile(), () => false);
}

async function readOrNull(p: string): Promise<Uint8Array | null> {
  return fsp.readFile(p).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength), () => null);
}

export function fsFileCache(dir: string = defaultCacheDir()): FileCache {
  const complete = (key: string) => path.join(dir, 'complete', keyPath(key));
  const partial = (key: string) => path.join(dir, 'partial', keyPath(key) + '.partial');
  const tmpDir = path.join(dir, 'tmp');

  /** Writes to tmp/ then renames: the destination holds the old bytes or the new ones, never a mix. */
  async function writeAtomic(dest: string, bytes: Uint8Array): Promise<void> {
    await fsp.mkdir(tmpDir, { recursive: true });
    await fsp.mkdir(path.dirname(dest), { recursive: true });
    const tmp = path.join(tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      const fh = await fsp.open(tmp, 'w');
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fsp.rename(tmp, dest);
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw new CacheError(`cannot write ${dest}: ${(e as Error).message}`);
    }
  }

  async function walk(root: string, rel: string[], out: CacheEntryInfo[]): Promise<void> {
    const entries = await fsp.readdir(path.join(root, ...rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.isDirectory()) await walk(root, [...rel, e.name], out);
      else if (e.isFile()) {
        const size = (await fsp.stat(path.join(root, ...rel, e.name))).size;
        out.push({ key: [...rel, e.name].map(decodeURIComponent).join('/'), size });
      }
    }
  }

  async function deletePartial(key: string): Promise<void> {
    await fsp.rm(partial(key), { force: true });
    await fsp.rm(partial(key) + '.json', { force: true });
  }

  return {
    label: dir,
    get: async (key) => ((await isFile(complete(key))) ? fileReader(complete(key)) : null),
    has: (key) => isFile(complete(key)),
    put: async (key, bytes) => {
      await writeAtomic(complete(key), bytes);
      await deletePartial(key);
    },
    delete: async (key) => {
      await fsp.rm(complete(key), { force: true });
      await deletePartial(key);
    },
    list: async () => {
      const out: CacheEntryInfo[] = [];
      await walk(path.join(dir, 'complete'), [], out);
      return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
    getPartial: async (key) => {
      const bytes = await readOrNull(partial(key));
      if (!bytes) return null;
      const meta = await readOrNull(partial(key) + '.json');
      return partialFromStored(bytes, meta && new TextDecoder().decode(meta));
    },
    putPartial: async (key, part) => {
      // Bytes first, then the validator: a crash in between leaves a size mismatch, read as "no partial".
      await writeAtomic(partial(key), part.bytes);
      await writeAtomic(partial(key) + '.json', new TextEncoder().encode(partialMeta(part)));
    },
    deletePartial,
  };
}
