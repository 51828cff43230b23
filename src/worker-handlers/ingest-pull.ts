/**
 * pull: one catalogue entry's hub files into the ShardStore through data/shards.ts (listing, checksums, quota,
 * resume from the stored partial after an abort or a reload). Progress is thinned to one event per 100 ms plus
 * every file's end, so a fast download does not flood the page. pulledIds: which entries are wholly stored.
 * Not handled: entries that live only on GitHub (they say so), parallel pulls of one entry.
 */
import { pullShards, type PullProgress } from '../data/shards';
import type { PullParams, PullSummary } from '../protocol/ingest-api';
import type { HandlerContext } from '../protocol/serve';
import { entryKeys, entryOf, type IngestDeps } from './ingest-sources';
import { userError } from './session';

export interface PullDeps extends IngestDeps {
  /** Clock for thinning progress; default Date.now. */
  now?: () => number;
  retryDelayMs?: number;
}

export async function pullEntry(deps: PullDeps, p: PullParams, ctx: HandlerContext<PullProgress>): Promise<PullSummary> {
  const e = entryOf(deps, p.id);
  if (!e.hub) throw userError(`'${e.id}' is not on the Hugging Face hub (it lives at ${e.github?.repo ?? e.source}), so it cannot be pulled here.`);
  const now = deps.now ?? Date.now;
  let last = -Infinity;
  const onProgress = (x: PullProgress) => {
    const t = now();
    if (t - last < 100 && x.fileLoaded !== x.fileTotal) return;
    last = t;
    ctx.progress(x);
  };
  const r = await pullShards({
    repo: e.hub.repo, revision: e.hub.revision, files: e.hub.files, glob: e.hub.glob, host: deps.host,
    store: deps.store, fetch: deps.fetch, signal: ctx.signal, onProgress, retryDelayMs: deps.retryDelayMs,
  });
  return { id: e.id, repo: r.repo, revision: r.revision, files: r.shards.length, bytes: r.bytes, downloadedBytes: r.downloadedBytes };
}

/** Entries whose files are all stored (a glob entry: at least one matching file). */
export async function pulledIds(deps: IngestDeps): Promise<string[]> {
  const stored = new Set((await deps.store.list()).map((s) => s.key));
  const out: string[] = [];
  for (const e of deps.manifest.datasets) {
    const keys = await entryKeys(deps, e);
    if (keys.length && keys.every((k) => stored.has(k))) out.push(e.id);
  }
  return out;
}
