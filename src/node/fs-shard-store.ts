/**
 * The Node ShardStore: a folder (WEBIFT_DATA_DIR, default ~/.cache/webift/shards) with each shard under its plain
 * path in files/<key> and its record in meta/<key>.json. Every write goes to tmp/ and is renamed into place; the
 * record is written last and names the inode of the data file it describes, so it is the commit point: a crash
 * between the two renames leaves a record that does not match, read as "no shard", never as a wrong one.
 * Partials live in partial/<key>.partial + .partial.json (bytes first). Not handled: locking between processes.
 */
import { encodeSegment } from './fs-file-cache';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { envVar } from '../platform/env';
import { partialFromStored, partialMeta } from '../data/hub/file-cache';
import { byKey, checkKey, ShardStoreError, type ShardInfo, type ShardMeta, type ShardStore } from '../data/store/shard-store';
import { fileReader } from './fs-source';

export function defaultShardDir(): string {
  return envVar('WEBIFT_DATA_DIR') ?? path.join(os.homedir(), '.cache', 'webift', 'shards');
}

interface Record_ {
  size: number;
  ino: number;
  meta: ShardMeta;
}


function keyPath(key: string): string {
  return path.join(...checkKey(key).split('/').map(encodeSegment));
}

const readOrNull = (p: string) => fsp.readFile(p).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength), () => null);

/** Where a shard's bytes lie on disk (valid once the store lists the shard). */
export function shardFilePath(dir: string, key: string): string {
  return path.join(dir, 'files', keyPath(key));
}

export function fsShardStore(dir: string = defaultShardDir()): ShardStore {
  const dataPath = (key: string) => shardFilePath(dir, key);
  const metaPath = (key: string) => path.join(dir, 'meta', keyPath(key) + '.json');
  const partPath = (key: string) => path.join(dir, 'partial', keyPath(key) + '.partial');
  const tmpDir = path.join(dir, 'tmp');

  /** Writes to tmp/ then renames: `dest` holds the old bytes or the new ones, never a mix. Returns the new inode. */
  async function writeAtomic(dest: string, bytes: Uint8Array): Promise<number> {
    await fsp.mkdir(tmpDir, { recursive: true });
    await fsp.mkdir(path.dirname(dest), { recursive: true });
    const tmp = path.join(tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      const fh = await fsp.open(tmp, 'w');
      let ino: number;
      try {
        await fh.writeFile(bytes);
        await fh.sync();
        ino = (await fh.stat()).ino;
      } finally {
        await fh.close();
      }
      await fsp.rename(tmp, dest);
      return ino;
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw new ShardStoreError(`cannot write ${dest}: ${(e as Error).message}`);
    }
  }

  /** The committed record of a shard, or null when absent or not matching its data file (an interrupted put). */
  async function record(key: string): Promise<Record_ | null> {
    const raw = await readOrNull(metaPath(key));
    if (!raw) return null;
    let rec: Record_;
    try {
      rec = JSON.parse(new TextDecoder().decode(raw)) as Record_;
    } catch {
      return null;
    }
    const st = await fsp.stat(dataPath(key)).catch(() => null);
    return st && st.isFile() && st.size === rec.size && st.ino === rec.ino ? rec : null;
  }

  async function walk(root: string, rel: string[], out: string[]): Promise<void> {
    const entries = await fsp.readdir(path.join(root, ...rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.isDirectory()) await walk(root, [...rel, e.name], out);
      else if (e.isFile() && e.name.endsWith('.json')) out.push([...rel, e.name.slice(0, -'.json'.length)].map(decodeURIComponent).join('/'));
    }
  }

  async function deletePartial(key: string): Promise<void> {
    await fsp.rm(partPath(key), { force: true });
    await fsp.rm(partPath(key) + '.json', { force: true });
  }

  async function list(): Promise<ShardInfo[]> {
    const keys: string[] = [];
    await walk(path.join(dir, 'meta'), [], keys);
    const out: ShardInfo[] = [];
    for (const key of keys) {
      const rec = await record(key);
      if (rec) out.push({ key, size: rec.size, meta: rec.meta });
    }
    return out.sort(byKey);
  }

  return {
    label: dir,
    put: async (key, bytes, meta) => {
      const ino = await writeAtomic(dataPath(key), bytes);
      await writeAtomic(metaPath(key), new TextEncoder().encode(JSON.stringify({ size: bytes.byteLength, ino, meta } satisfies Record_)));
      await deletePartial(key);
    },
    get: async (key) => {
      const rec = await record(key);
      return rec && { key, size: rec.size, meta: rec.meta, reader: fileReader(dataPath(key)) };
    },
    has: async (key) => (await record(key)) !== null,
    list,
    delete: async (key) => {
      await fsp.rm(metaPath(key), { force: true }); // the record first: from here on the shard is absent
      await fsp.rm(dataPath(key), { force: true });
      await deletePartial(key);
    },
    getPartial: async (key) => {
      const bytes = await readOrNull(partPath(key));
      if (!bytes) return null;
      const meta = await readOrNull(partPath(key) + '.json');
      return partialFromStored(bytes, meta && new TextDecoder().decode(meta));
    },
    putPartial: async (key, part) => {
      // Bytes first, then the validator: a crash in between leaves a size mismatch, read as "no partial".
      await writeAtomic(partPath(key), part.bytes);
      await writeAtomic(partPath(key) + '.json', new TextEncoder().encode(partialMeta(part)));
    },
    deletePartial,
    usage: async () => {
      const shards = await list();
      const parts: string[] = [];
      await walk(path.join(dir, 'partial'), [], parts); // names end in '.partial' (+ '.json' stripped)
      let partialBytes = 0;
      for (const p of parts) {
        // Count a partial only where its validator matches its bytes (what getPartial would hand out).
        const key = p.slice(0, -'.partial'.length);
        const meta = await readOrNull(partPath(key) + '.json');
        const st = await fsp.stat(partPath(key)).catch(() => null);
        let size = -1;
        try {
          size = meta ? (JSON.parse(new TextDecoder().decode(meta)) as { size: number }).size : -1;
        } catch { /* unreadable: not counted */ }
        if (st && st.size === size) partialBytes += size;
      }
      return { shards: shards.length, bytes: shards.reduce((a, s) => a + s.size, 0), partialBytes };
    },
  };
}
