/**
 * listFiles: the files of a hub repo at a pinned revision, from `{host}/api/{datasets|models}/{repo}/tree/{rev}[/path]
 * ?recursive=true`, page by page (the hub answers in pages and names the next one in a `Link: <url>; rel="next"`
 * header), as an async generator. Style and paging: huggingface.js `list-files.ts`. Not handled: `expand=true`
 * (last commit, security status), Spaces, resolving a branch to a commit hash.
 */
import { DEFAULT_HOST, DEFAULT_REVISION, encodePath, type RepoType } from './url';

export interface ListedFile {
  type: 'file' | 'directory';
  /** Path inside the repo, '/'-separated. */
  path: string;
  /** Bytes (of the real file for LFS files; 0 for directories). */
  size: number;
  /** Git object id: the blob sha1 of a file as git stores it (for LFS files, of the pointer). */
  oid: string;
  /** LFS files: `oid` is the sha256 of the real content, `size` its length. */
  lfs?: { oid: string; size: number; pointerSize?: number };
}

export interface ListFilesParams {
  repo: string;
  /** Default 'dataset' (this is the data platform's lister); 'model' for model repos. */
  repoType?: RepoType;
  /** Default 'main'; pin a commit hash for reproducible listings. */
  revision?: string;
  /** Default 'https://huggingface.co'. */
  host?: string;
  /** List under this folder only. */
  path?: string;
  /** Default true: every file below, not just the first level. */
  recursive?: boolean;
  fetch?: typeof globalThis.fetch;
  /** An HF access token for private or gated repos. */
  token?: string;
  signal?: AbortSignal;
}

export class ListFilesError extends Error {
  override name = 'ListFilesError';
  constructor(message: string, readonly status: number | null) {
    super(message);
  }
}

/** The `rel="next"` target of a Link header, or null. */
export function nextLink(link: string | null): string | null {
  if (!link) return null;
  for (const part of link.split(',')) {
    const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (m && /(^|;)\s*rel\s*=\s*"?next"?\s*(;|$)/.test(m[2])) return m[1];
  }
  return null;
}

function isListed(v: unknown): v is ListedFile {
  const o = v as ListedFile;
  return !!o && typeof o === 'object' && (o.type === 'file' || o.type === 'directory') && typeof o.path === 'string';
}

export async function* listFiles(p: ListFilesParams): AsyncGenerator<ListedFile> {
  const host = (p.host ?? DEFAULT_HOST).replace(/\/+$/, '');
  const type = (p.repoType ?? 'dataset') === 'dataset' ? 'datasets' : 'models';
  const rev = encodeURIComponent(p.revision ?? DEFAULT_REVISION);
  const sub = p.path ? `/${encodePath(p.path, 'path')}` : '';
  const query = (p.recursive ?? true) ? '?recursive=true&expand=false' : '?expand=false';
  const fetchFn = p.fetch ?? globalThis.fetch.bind(globalThis);
  const headers: Record<string, string> = p.token ? { Authorization: `Bearer ${p.token}` } : {};
  let url: string | null = `${host}/api/${type}/${encodePath(p.repo, 'repo')}/tree/${rev}${sub}${query}`;
  while (url) {
    let res: Response;
    try {
      res = await fetchFn(url, { headers, signal: p.signal });
    } catch (e) {
      if (p.signal?.aborted) throw p.signal.reason ?? e;
      throw new ListFilesError(`${url}: listing failed (${(e as Error).message})`, null);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      const hint = res.status === 404 ? ' (no such repo, revision or folder)' : res.status === 401 || res.status === 403 ? ' (a private or gated repo needs a token)' : '';
      throw new ListFilesError(`${url}: HTTP ${res.status} ${res.statusText}${hint}`, res.status);
    }
    const page: unknown = await res.json().catch(() => undefined);
    if (!Array.isArray(page)) throw new ListFilesError(`${url}: the listing is not a JSON array`, res.status);
    for (const item of page) {
      if (!isListed(item)) throw new ListFilesError(`${url}: a listing entry lacks type/path: ${JSON.stringify(item).slice(0, 120)}`, res.status);
      yield item;
    }
    const next = nextLink(res.headers.get('link'));
    // A relative next link resolves against the page it came from.
    url = next === null ? null : new URL(next, url).toString();
  }
}
