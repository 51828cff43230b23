/**
 * A local node:http server in the Hugging Face layout (`/{repo}/resolve/{revision}/{file}`) over fixture folders,
 * for the hub download tests: Content-Length, strong ETags, Range (206) with If-Range, 404 for missing files, and
 * two faults: drop the connection halfway through a file once, or ignore Range (always 200). Test-only.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
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
}

export interface HubServer {
  host: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

function serve(opts: HubServerOptions, seen: SeenRequest[], dropped: Set<string>, req: IncomingMessage, res: ServerResponse): void {
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
