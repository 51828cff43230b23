/**
 * pullShards: streams a dataset's files (repo + pinned revision + file list or glob) from a host with the Hugging
 * Face layout into a ShardStore. Listed first (sizes, checksums), then each file through hub/download.ts: progress in
 * bytes and files, resume from the stored partial after a reload or a dropped connection (HTTP Range where the host
 * allows it), a QuotaError BEFORE a file that would not fit, and a CorruptShardError (nothing stored) for a size or
 * checksum mismatch. Not handled: parallel downloads (one file at a time), deleting shards a newer revision dropped.
 */
import { storageQuota, type StorageEstimate } from '../platform/env';
import { downloadFile, DownloadError } from './hub/download';
import { listFiles, type ListedFile } from './hub/list-files';
import { cacheKey, DEFAULT_HOST, DEFAULT_REVISION, resolveUrl } from './hub/url';
import { gitBlobSha1Hex, sha256Hex } from './store/checksum';
import { CorruptShardError, shardCache } from './store/shard-cache';
import type { ShardMeta, ShardStore } from './store/shard-store';

export { CorruptShardError };

export interface ShardSpec {
  /** 'owner/name' of a dataset repo. */
  repo: string;
  /** Default 'main'; pin a commit hash for reproducible pulls. */
  revision?: string;
  /** Default 'https://huggingface.co'. */
  host?: string;
  /** Exact paths in the repo. */
  files?: string[];
  /** Patterns over repo paths: `*` and `?` within a segment, `**` across segments, `{a,b}` alternatives. */
  glob?: string | string[];
}

export interface PullProgress {
  /** The file being pulled, and its bytes so far / size. */
  file: string;
  fileLoaded: number;
  fileTotal: number | null;
  /** All files of the pull: bytes held (stored, cached or so far) and files finished. */
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

export interface PullOptions extends ShardSpec {
  store: ShardStore;
  fetch?: typeof globalThis.fetch;
  token?: string;
  signal?: AbortSignal;
  /** Extra attempts per file after a dropped connection, a network error, a 5xx or a 429. Default 2. */
  retries?: number;
  retryDelayMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The storage budget, asked before each file. Default: platform's storageQuota(). null: no check. */
  quota?: () => Promise<StorageEstimate | null>;
  /** Bytes to leave free under the quota. Default 0. */
  reserve?: number;
  onProgress?: (p: PullProgress) => void;
}

export interface PulledShard {
  path: string;
  /** Its key in the store. */
  key: string;
  size: number;
  /** 'cached': already in the store, nothing fetched. */
  status: 'downloaded' | 'cached';
}

export interface PullResult {
  repo: string;
  revision: string;
  shards: PulledShard[];
  /** Bytes of all shards, and of those fetched by this call. */
  bytes: number;
  downloadedBytes: number;
}

export class QuotaError extends Error {
  override name = 'QuotaError';
  constructor(message: string, readonly needed: number, readonly available: number) {
    super(message);
  }
}

export class PullError extends Error {
  override name = 'PullError';
}

/** A glob as a RegExp over whole '/'-separated paths. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '{') { re += '(?:'; braces++; }
    else if (c === '}' && braces > 0) { re += ')'; braces--; }
    else if (c === ',' && braces > 0) re += '|';
    else re += c.replace(/[.+^$(){}|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Picks the listed files a spec asks for, in the spec's order for `files`, then listing order for globs. */
export function selectFiles(listed: ListedFile[], spec: ShardSpec): ListedFile[] {
  const files = listed.filter((f) => f.type === 'file');
  const byPath = new Map(files.map((f) => [f.path, f]));
  const out = new Map<string, ListedFile>();
  for (const p of spec.files ?? []) {
    const f = byPath.get(p);
    if (!f) throw new PullError(`${spec.repo}@${spec.revision ?? DEFAULT_REVISION}: '${p}' is not in the listing (${files.length} files; e.g. ${files.slice(0, 3).map((x) => x.path).join(', ') || 'none'})`);
    out.set(p, f);
  }
  const globs = typeof spec.glob === 'string' ? [spec.glob] : (spec.glob ?? []);
  for (const g of globs) {
    const re = globToRegExp(g);
    const hits = files.filter((f) => re.test(f.path));
    if (!hits.length) throw new PullError(`${spec.repo}: no file matches '${g}'`);
    for (const f of hits) out.set(f.path, f);
  }
  if (!spec.files?.length && !globs.length) for (const f of files) out.set(f.path, f);
  return [...out.values()];
}

/** Checks a finished download against its listing entry: size, then sha256 (LFS) or git blob sha1. */
async function verify(f: ListedFile, url: string, bytes: Uint8Array): Promise<ShardMeta> {
  const size = f.lfs?.size ?? f.size;
  if (bytes.byteLength !== size) throw new CorruptShardError(`${f.path}: got ${bytes.byteLength} bytes but the listing says ${size}; not stored`);
  const meta: ShardMeta = { source: url, storedAt: new Date().toISOString() };
  if (f.lfs?.oid) {
    const got = await sha256Hex(bytes);
    if (got !== f.lfs.oid) throw new CorruptShardError(`${f.path}: sha256 ${got} does not match the listing's ${f.lfs.oid}; corrupt shard not stored`);
    meta.sha256 = got;
  } else if (/^[0-9a-f]{40}$/.test(f.oid)) {
    const got = await gitBlobSha1Hex(bytes);
    if (got !== f.oid) throw new CorruptShardError(`${f.path}: git blob sha1 ${got} does not match the listing's ${f.oid}; corrupt shard not stored`);
    meta.gitSha1 = got;
  }
  return meta;
}

export async function pullShards(o: PullOptions): Promise<PullResult> {
  const host = o.host ?? DEFAULT_HOST;
  const revision = o.revision ?? DEFAULT_REVISION;
  const listed: ListedFile[] = [];
  for await (const f of listFiles({ repo: o.repo, revision, host, fetch: o.fetch, token: o.token, signal: o.signal })) listed.push(f);
  const chosen = selectFiles(listed, o);
  const ref = (file: string) => ({ host, repo: o.repo, revision, file, repoType: 'dataset' as const });
  const sizeOf = (f: ListedFile) => f.lfs?.size ?? f.size;
  const bytesTotal = chosen.reduce((a, f) => a + sizeOf(f), 0);
  const quota = o.quota ?? (() => storageQuota());
  const shards: PulledShard[] = [];
  let bytesDone = 0, downloadedBytes = 0;

  for (const f of chosen) {
    const key = cacheKey(ref(f.path));
    const url = resolveUrl(ref(f.path));
    const size = sizeOf(f);
    const held = await o.store.get(key);
    if (held && held.size === size) {
      shards.push({ path: f.path, key, size, status: 'cached' });
      bytesDone += size;
      continue;
    }
    // The whole file is written once more at the end (partial bytes are already counted in the usage).
    const est = await quota();
    if (est) {
      const available = est.quota - est.usage - (o.reserve ?? 0);
      if (size > available) {
        const rest = chosen.slice(chosen.indexOf(f)).reduce((a, x) => a + sizeOf(x), 0);
        throw new QuotaError(`${f.path} needs ${size} bytes but only ${Math.max(0, available)} are free in the storage quota (${est.usage} of ${est.quota} used); stopped before writing it (${shards.length} of ${chosen.length} files stored, ${rest} bytes still to pull)`, size, available);
      }
    }
    const progress = (loaded: number, total: number | null) =>
      o.onProgress?.({ file: f.path, fileLoaded: loaded, fileTotal: total, bytesDone: bytesDone + loaded, bytesTotal, filesDone: shards.length, filesTotal: chosen.length });
    try {
      await downloadFile({
        url,
        key,
        cache: shardCache(o.store, (_key, bytes) => verify(f, url, bytes)),
        fetch: o.fetch,
        expectedSize: size,
        retries: o.retries ?? 2,
        retryDelayMs: o.retryDelayMs,
        sleep: o.sleep,
        signal: o.signal,
        headers: o.token ? { Authorization: `Bearer ${o.token}` } : undefined,
        onProgress: (p) => progress(p.loaded, p.total),
      }).then((r) => {
        if (!r) throw new PullError(`${url}: 404 although the listing has it (a moved revision? pin a commit)`);
      });
    } catch (e) {
      if (e instanceof CorruptShardError) await o.store.deletePartial(key); // resuming from bad bytes would repeat them
      if (e instanceof DownloadError && !e.retryable && /announces \d+ bytes/.test(e.message)) throw new CorruptShardError(`${e.message}; not stored`);
      throw e;
    }
    shards.push({ path: f.path, key, size, status: 'downloaded' });
    progress(size, size); // counts the file as done (filesDone includes it)
    bytesDone += size;
    downloadedBytes += size;
  }
  return { repo: o.repo, revision, shards, bytes: bytesTotal, downloadedBytes };
}
