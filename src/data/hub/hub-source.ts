/**
 * A ModelSource over a hub repo: each file is downloaded once into a FileCache and then read from it; a 404 is
 * remembered as a marker (HF's `.no_exist`), so a second load from the same cache makes no request at all.
 * Not handled: listing the repo, reading byte ranges of a big shard without downloading it whole, turning a
 * branch into a commit hash (pass a commit as `revision` for reproducible, never-stale caching).
 */
import type { ModelSource } from '../../model/load';
import type { ByteReader } from '../../util/byte-reader';
import { downloadFile, type DownloadProgress } from './download';
import { readAll, type FileCache } from './file-cache';
import { cacheKey, DEFAULT_HOST, DEFAULT_REVISION, missingKey, resolveUrl, type HubFileRef } from './url';

export interface HubSourceOptions {
  /** Default 'https://huggingface.co'. */
  host?: string;
  /** 'org/name'. */
  repo: string;
  /** Default 'main'. */
  revision?: string;
  cache: FileCache;
  /** Default: globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
  /** Per file: `file` is its path in the repo. */
  onProgress?: (file: string, p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Extra attempts per file after a dropped connection or a 5xx. Default 2. */
  retries?: number;
  retryDelayMs?: number;
  /** An HF access token for private or gated repos. */
  token?: string;
}

export function hubModelSource(o: HubSourceOptions): ModelSource {
  const host = o.host ?? DEFAULT_HOST;
  const revision = o.revision ?? DEFAULT_REVISION;
  const ref = (file: string): HubFileRef => ({ host, repo: o.repo, revision, file, repoType: 'model' });

  async function fetchFile(file: string): Promise<ByteReader | null> {
    const r = ref(file);
    const key = cacheKey(r);
    const cached = await o.cache.get(key);
    if (cached) return cached;
    if (await o.cache.has(missingKey(r))) return null;
    const reader = await downloadFile({
      url: resolveUrl(r),
      cache: o.cache,
      key,
      fetch: o.fetch,
      onProgress: o.onProgress && ((p) => o.onProgress!(file, p)),
      signal: o.signal,
      retries: o.retries ?? 2,
      retryDelayMs: o.retryDelayMs,
      headers: o.token ? { Authorization: `Bearer ${o.token}` } : undefined,
    });
    if (!reader) await o.cache.put(missingKey(r), new Uint8Array(0));
    return reader;
  }

  return {
    label: `${host.replace(/\/+$/, '')}/${o.repo}@${revision}`,
    readText: async (name) => {
      const r = await fetchFile(name);
      return r && new TextDecoder().decode(await readAll(r));
    },
    reader: fetchFile,
  };
}
