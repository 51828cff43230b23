/**
 * A local node:http server in the Hugging Face layout (`/{repo}/resolve/{revision}/{file}`) over fixture folders,
 * for the hub download tests: Content-Length, strong ETags, Range (206) with If-Range, 404 for missing files, and
 * two faults: drop the connection halfway through a file once, or ignore Range (always 200). Also the listing API
 * `/api/{datasets|models}/{owner/name}/tree/{rev}[/path][?recursive=true]` with git blob sha1 oids (sha256 `lfs` for
 * the files `lfs` picks), paged with a `Link: <...&cursor=N>; rel="next"` header, and a third fault: `corrupt` serves
 * a file with one byte flipped (same length) while the listing keeps the true checksum. Test-only.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

export interface SeenRequest {
  file: string;
  range: string | null;
  ifRange: string | null;
  status: number;
}

export interface HubServerOptions {
  /** repo id ('org/name') -> folder whose files it serves, at any revision. */
  repos: Record<string, string>;
  /** The first GET of this file sends the headers and half the body, then destroys the socket. */
  dropOnce?: string;
  /** Answer every GET with the whole file (200), as a server without Range support does. */
  ignoreRange?: boolean;
  /** Serve this file (path in the repo) with its middle byte flipped; the listing still describes the true file. */
  corrupt?: string;
  /** Listing entries per page (default: all in one page). */
  pageSize?: number;
  /** Which files the listing marks as LFS (sha256 in `lfs.oid`). Default: none. */
  lfs?: (file: string) => boolean;
}

export interface HubServer {
  host: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

interface TreeEntry {
  type: 'file' | 'directory';
  path: string;
  size: number;
  oid: string;
  lfs?: { oid: string; size: number; pointerSize: number };
}

function walkTree(opts: HubServerOptions, root: string, rel: string, recursive: boolean, out: TreeEntry[]): void {
  for (const name of readdirSync(path.join(root, rel)).sort()) {
    const p = rel ? `${rel}/${name}` : name;
    const st = statSync(path.join(root, p));
    if (st.isDirectory()) {
      out.push({ type: 'directory', path: p, size: 0, oid: createHash('sha1').update(p).digest('hex') });
      if (recursive) walkTree(opts, root, p, recursive, out);
    } else if (st.isFile()) {
      const bytes = readFileSync(path.join(root, p));
      // git's blob id: sha1 over "blob <size>\0" + content (what the hub lists as `oid` for non-LFS files).
      const oid = createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex');
      const e: TreeEntry = { type: 'file', path: p, size: bytes.byteLength, oid };
      if (opts.lfs?.(p)) e.lfs = { oid: createHash('sha256').update(bytes).digest('hex'), size: bytes.byteLength, pointerSize: 130 };
      out.push(e);
    }
  }
}

/** The listing API; returns false when the URL is not a listing. */
function serveTree(opts: HubServerOptions, seen: SeenRequest[], req: IncomingMessage, res: ServerResponse): boolean {
  const url = new URL(req.url ?? '/', 'http://local');
  const m = /^\/api\/(datasets|models)\/([^/]+\/[^/]+)\/tree\/([^/]+)(\/.*)?$/.exec(url.pathname);
  if (!m) return false;
  const repo = decodeURIComponent(m[2]);
  const dir = opts.repos[m[1] === 'datasets' ? `datasets/${repo}` : repo];
  const sub = m[4] ? m[4].slice(1).split('/').map(decodeURIComponent).join('/') : '';
  const log = (status: number) => seen.push({ file: `tree:${sub}`, range: null, ifRange: null, status });
  if (!dir || sub.includes('..') || !existsSync(path.join(dir, sub)) || !statSync(path.join(dir, sub)).isDirectory()) {
    log(404);
    res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'Repository not found' }));
    return true;
  }
  const all: TreeEntry[] = [];
  walkTree(opts, dir, sub, url.searchParams.get('recursive') === 'true', all);
  const start = Number(url.searchParams.get('cursor') ?? 0);
  const size = opts.pageSize ?? all.length;
  const page = all.slice(start, start + size);
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (start + size < all.length) {
    const next = new URL(url.pathname + url.search, `http://${req.headers.host}`);
    next.searchParams.set('cursor', String(start + size));
    headers.Link = `<${next.toString()}>; rel="next"`;
  }
  log(200);
  res.writeHead(200, headers).end(JSON.stringify(page));
  return true;
}

function serve(opts: HubServerOptions, seen: SeenRequest[], dropped: Set<string>, req: IncomingMessage, res: ServerResponse): void {
  if (serveTree(opts, seen, req, res)) return;
  const m = /^\/(.+)\/resolve\/([^/]+)\/(.+)$/.exec((req.url ?? '').split('?')[0]);
  const repo = m && decodeURIComponent(m[1]);
  const file = m ? m[3].split('/').map(decodeURIComponent).join('/') : '';
  const dir = repo ? opts.repos[repo] : undefined;
  const full = dir && path.join(dir, file);
  const range = req.headers.range ?? null;
  const ifRange = (req.headers['if-range'] as string | undefined) ?? null;
  const log = (status: number) => seen.push({ file, range, ifRange, status });
  if (!full || file.includes('..') || !existsSync(full) || !statSync(full).isFile()) {
    log(404);
    res.writeHead(404, { 'Content-Type': 'text/plain', 'X-Error-Code': 'EntryNotFound' }).end('Entry not found');
    return;
  }
  const bytes = readFileSync(full);
  if (opts.corrupt === file) bytes[bytes.byteLength >> 1] ^= 0xff;
  const etag = `"${createHash('sha256').update(bytes).digest('hex')}"`;
  const rm = range && /^bytes=(\d+)-$/.exec(range);
  const useRange = rm && !opts.ignoreRange && (ifRange === null || ifRange === etag);
  const start = useRange ? Number(rm[1]) : 0;
  if (useRange && start >= bytes.byteLength) {
    log(416);
    res.writeHead(416, { 'Content-Range': `bytes */${bytes.byteLength}` }).end();
    return;
  }
  const body = bytes.subarray(start);
  const status = useRange ? 206 : 200;
  log(status);
  const headers: Record<string, string | number> = { 'Content-Length': body.byteLength, ETag: etag, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };
  if (useRange) headers['Content-Range'] = `bytes ${start}-${bytes.byteLength - 1}/${bytes.byteLength}`;
  res.writeHead(status, headers);
  if (opts.dropOnce === file && !dropped.has(file)) {
    dropped.add(file);
    res.write(body.subarray(0, Math.floor(body.byteLength / 2)), () => res.socket?.destroy());
    return;
  }
  res.end(body);
}

export async function startHubServer(opts: HubServerOptions): Promise<HubServer> {
  const requests: SeenRequest[] = [];
  const dropped = new Set<string>();
  const server = createServer((req, res) => serve(opts, requests, dropped, req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
