/**
 * downloadFile: one hub file into a FileCache, streamed, with progress, resumable after a dropped connection.
 * A drop keeps the bytes that arrived as a partial entry; the next call asks for the rest (`Range: bytes=N-`,
 * `If-Range: <etag>`) and continues on 206, or starts over on 200. Only a whole file becomes a complete entry.
 * Not handled: checksums (HF's X-Linked-Etag sha256), content-encoded bodies beyond skipping the length check,
 * streaming to disk (the file is held in memory once), two callers downloading the same key at once.
 */
import type { ByteReader } from '../../util/byte-reader';
import { bytesReader, type FileCache } from './file-cache';

export interface DownloadProgress {
  /** Bytes of the file held so far (a resumed download starts at the kept bytes). */
  loaded: number;
  /** Size of the file, or null when the server does not say. */
  total: number | null;
}

export interface DownloadOptions {
  url: string;
  cache: FileCache;
  /** Cache key of the file, from cacheKey() in url.ts. */
  key: string;
  /** Default: globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
  /** Called with non-decreasing `loaded` within one attempt; a restart (server ignored Range) begins again at 0. */
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** When known (e.g. from a listing), a server that announces another size is an error. */
  expectedSize?: number;
  /** Extra attempts after a retryable failure (dropped connection, network error, 5xx, 429). Default 0. */
  retries?: number;
  /** Wait before the first retry, doubled for each further one. Default 1000 ms. */
  retryDelayMs?: number;
  /** Extra request headers, e.g. { Authorization: 'Bearer hf_...' }. */
  headers?: Record<string, string>;
  /** Injected for tests; default setTimeout. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export class DownloadError extends Error {
  override name = 'DownloadError';
  constructor(
    message: string,
    readonly url: string,
    /** HTTP status, or null for a network failure or a dropped body. */
    readonly status: number | null,
    /** Bytes kept as a partial entry for the next attempt to resume from. */
    readonly kept: number,
    /** Whether another attempt may succeed. */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason); }, { once: true });
  });

/** Parses `bytes START-END/TOTAL` (TOTAL may be '*'). */
function parseContentRange(h: string | null): { start: number; total: number | null } | null {
  const m = h && /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(h.trim());
  return m ? { start: Number(m[1]), total: m[2] === '*' ? null : Number(m[2]) } : null;
}

function contentLength(res: Response): number | null {
  const enc = res.headers.get('content-encoding');
  if (enc && enc !== 'identity') return null; // the length is of the encoded body, not of what we receive
  const n = res.headers.get('content-length');
  return n !== null && /^\d+$/.test(n) ? Number(n) : null;
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.byteLength; }
  return out;
}

function httpHint(status: number): string {
  if (status === 401 || status === 403) return ' (a private or gated repo needs a token; or the repo does not exist)';
  if (status === 429) return ' (rate limited)';
  return '';
}

async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}

/** One request. Returns the cached file, null on 404, or throws (DownloadError, or the abort reason). */
async function attempt(o: DownloadOptions, fetchFn: typeof globalThis.fetch, restart: boolean): Promise<ByteReader | null> {
  const { url, cache, key, signal } = o;
  const stored = restart ? null : await cache.getPartial(key);
  const part = stored && stored.bytes.byteLength > 0 ? stored : null;
  const headers: Record<string, string> = { ...o.headers };
  if (part) {
    headers.Range = `bytes=${part.bytes.byteLength}-`;
    // If-Range makes the server send the whole file (200) when it changed; weak validators may not be used.
    if (part.etag && !part.etag.startsWith('W/')) headers['If-Range'] = part.etag;
  }
  const keptBefore = part?.bytes.byteLength ?? 0;

  let res: Response;
  try {
    res = await fetchFn(url, { headers, signal });
  } catch (e) {
    if (signal?.aborted) throw signal.reason ?? e;
    throw new DownloadError(`${url}: request failed (${(e as Error).message}); ${keptBefore} bytes kept, retry resumes`, url, null, keptBefore, true);
  }
  if (res.status === 404) {
    await discard(res);
    await cache.deletePartial(key);
    return null;
  }
  const badResume = () => Promise.all([discard(res), cache.deletePartial(key)]).then(() => attempt(o, fetchFn, true));
  // 416: the kept bytes are not a prefix of the file any more (it shrank or changed): start over.
  if (res.status === 416 && part) return badResume();
  if (res.status !== 200 && res.status !== 206) {
    await discard(res);
    const retryable = res.status >= 500 || res.status === 429;
    throw new DownloadError(`${url}: HTTP ${res.status} ${res.statusText}${httpHint(res.status)}`, url, res.status, keptBefore, retryable);
  }

  let prefix: Uint8Array = new Uint8Array(0);
  let total: number | null;
  if (res.status === 206) {
    const cr = parseContentRange(res.headers.get('content-range'));
    if (!part) {
      await discard(res);
      throw new DownloadError(`${url}: the server answered 206 (partial content) to a request without Range`, url, 206, 0, false);
    }
    if (!cr || cr.start !== part.bytes.byteLength || (part.total !== null && cr.total !== null && cr.total !== part.total)) return badResume();
    prefix = part.bytes;
    total = cr.total ?? part.total;
  } else {
    if (part) await cache.deletePartial(key); // the server ignored Range, or If-Range said the file changed
    total = contentLength(res);
  }
  if (o.expectedSize !== undefined && total !== null && total !== o.expectedSize) {
    await discard(res);
    await cache.deletePartial(key);
    throw new DownloadError(`${url}: the server announces ${total} bytes but ${o.expectedSize} were expected`, url, res.status, 0, false);
  }
  total ??= o.expectedSize ?? null;
  const etag = res.headers.get('etag');

  const chunks: Uint8Array[] = [prefix];
  let loaded = prefix.byteLength;
  o.onProgress?.({ loaded, total });
  /** Keeps what arrived as a partial entry; returns how many bytes were kept. */
  const keep = async (): Promise<number> => {
    if (loaded === keptBefore && res.status === 206) return loaded; // nothing new: the old partial still stands
    if (loaded === 0) return 0;
    return cache.putPartial(key, { bytes: concat(chunks, loaded), total, etag }).then(() => loaded, () => 0);
  };
  const dropped = async (why: string): Promise<never> => {
    const kept = await keep();
    const tail = kept > 0 ? `${kept} bytes kept, retry resumes` : 'nothing kept, retry starts over';
    throw new DownloadError(`${url}: connection dropped after ${loaded} of ${total ?? 'unknown'} bytes (${why}); ${tail}`, url, null, kept, true);
  };

  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        if (signal?.aborted) {
          await keep();
          throw signal.reason ?? e;
        }
        return dropped((e as Error).message);
      }
      if (r.done) break;
      if (r.value.byteLength === 0) continue;
      if (total !== null && loaded + r.value.byteLength > total) {
        await discard(res);
        await cache.deletePartial(key);
        throw new DownloadError(`${url}: the server sent more than the ${total} bytes it announced`, url, res.status, 0, true);
      }
      chunks.push(r.value);
      loaded += r.value.byteLength;
      o.onProgress?.({ loaded, total });
    }
  }
  if (total !== null && loaded < total) return dropped('the body ended early');

  const bytes = concat(chunks, loaded);
  await cache.put(key, bytes);
  await cache.deletePartial(key);
  return (await cache.get(key)) ?? bytesReader(bytes);
}

/**
 * Returns a reader over the cached file, downloading it first when it is not cached; null when the server says 404.
 * Throws DownloadError (with `kept` and `retryable`) once the retries are spent, or the abort reason.
 */
export async function downloadFile(o: DownloadOptions): Promise<ByteReader | null> {
  const cached = await o.cache.get(o.key);
  if (cached) return cached;
  const fetchFn = o.fetch ?? globalThis.fetch.bind(globalThis);
  const sleep = o.sleep ?? defaultSleep;
  const retries = o.retries ?? 0;
  for (let i = 0; ; i++) {
    try {
      return await attempt(o, fetchFn, false);
    } catch (e) {
      if (!(e instanceof DownloadError) || !e.retryable || i >= retries) throw e;
      await sleep((o.retryDelayMs ?? 1000) * 2 ** i, o.signal);
    }
  }
}
