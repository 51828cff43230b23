/**
 * The ingest worker's handler table (protocol/ingest-api.ts): the catalogue, pull state and pulls, previews,
 * unified-record exports, the AlpaGasus filter and the Storage screen's list and delete, over one injected
 * ShardStore and fetch (IndexedDB and the global fetch in the worker; memory and a fake in tests). No tfjs and no model here: tokenizing stays in the
 * session worker, which holds the tokenizer (prepareData).
 */
import { GEN_TAGS, LANG_TAGS, TAG_MEANING, TASK_TAGS, validateManifest, type Manifest } from '../data/manifest';
import { idbShardStore } from '../data/store/idb-shard-store';
import type { CatalogueInfo, IngestApi } from '../protocol/ingest-api';
import type { Handlers } from '../protocol/serve';
import { runFilter, type FilterDeps } from './ingest-filter';
import { pullEntry, pulledIds } from './ingest-pull';
import { readSource, toJsonl } from './ingest-sources';
import { deleteStored, storedItems } from './ingest-storage';
import type { ShardStore } from '../data/store/shard-store';

export interface IngestOptions extends Omit<FilterDeps, 'manifest' | 'store' | 'fetch'> {
  /** The parsed datasets-manifest.json (validated here). */
  manifest: unknown;
  store?: ShardStore;
  fetch?: typeof globalThis.fetch;
}

export function catalogueInfo(m: Manifest): CatalogueInfo {
  const groups = [['Lang', LANG_TAGS], ['Task', TASK_TAGS], ['Gen', GEN_TAGS]] as const;
  return {
    datasets: m.datasets,
    mixes: m.mixes.map(({ name, sources, strategy, seed }) => ({ name, sources, strategy, seed })),
    tags: groups.flatMap(([group, tags]) => tags.map((tag) => ({ group, tag, meaning: TAG_MEANING[tag] }))),
  };
}

export function createIngestHandlers(o: IngestOptions): Handlers<IngestApi> {
  const deps: FilterDeps = {
    ...o,
    manifest: validateManifest(o.manifest),
    store: o.store ?? idbShardStore(),
    fetch: o.fetch ?? ((u, i) => globalThis.fetch(u, i)),
  };
  return {
    manifest: () => catalogueInfo(deps.manifest),
    pulled: () => pulledIds(deps),
    pull: (p, ctx) => pullEntry(deps, p, ctx),
    async preview(p, { signal }) {
      const s = await readSource(deps, p.source, signal);
      const n = Math.max(0, Math.min(p.limit, 50));
      return {
        name: s.name, shape: s.shape, rows: s.rows, records: s.records.length, rejectedCount: s.rejected.length,
        first: s.records.slice(0, n).map((record, i) => ({ where: s.where[i] ?? `record ${i}`, record })),
        rejected: s.rejected.slice(0, Math.max(n, 5)),
      };
    },
    async records(p, { signal }) {
      const s = await readSource(deps, p.source, signal);
      return { name: s.name, jsonl: toJsonl(s.records), records: s.records.length, rejected: s.rejected.length };
    },
    filter: (p, ctx) => runFilter(deps, p, ctx),
    storedItems: () => storedItems(deps),
    deleteStored: (p) => deleteStored(deps, p),
  };
}
