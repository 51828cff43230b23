/**
 * Reads any ingest source into unified records with per-row rejections: an embedded file or a dropped file is read
 * exactly as the train worker's prepareData reads it (JSON / JSON Lines / CSV), a pulled catalogue entry through its
 * shape's converter (data/converters) file by file from the ShardStore, a stored (filtered) set as JSON Lines.
 * Not handled: streaming a file larger than memory (each file is converted whole).
 */
import { convert } from '../data/converters';
import { decodeText } from '../data/converters/rows';
import { globToRegExp } from '../data/shards';
import { cacheKey, DEFAULT_HOST, DEFAULT_REVISION } from '../data/hub/url';
import { parseRecords, type Rejection, type UnifiedRecord } from '../data/records';
import { readShard, type ShardStore } from '../data/store/shard-store';
import type { DatasetEntry, Manifest } from '../data/manifest';
import type { IngestSource } from '../protocol/ingest-api';
import { csvRecords } from './records-csv';
import { userError } from './session';

export interface IngestDeps {
  manifest: Manifest;
  store: ShardStore;
  fetch: typeof globalThis.fetch;
  /** The hub host pulls used; default https://huggingface.co. */
  host?: string;
}

export interface ReadSource {
  name: string;
  shape: string;
  rows: number;
  records: UnifiedRecord[];
  where: string[];
  rejected: Rejection[];
}

export function entryOf(deps: IngestDeps, id: string): DatasetEntry {
  const e = deps.manifest.datasets.find((d) => d.id === id);
  if (!e) throw userError(`'${id}' is not in the dataset catalogue.`);
  return e;
}

/** Store keys of an entry's pulled files: its listed files, or the stored keys its glob matches. */
export async function entryKeys(deps: IngestDeps, e: DatasetEntry, host = deps.host ?? DEFAULT_HOST): Promise<string[]> {
  if (!e.hub) return [];
  const ref = (file: string) => cacheKey({ host, repo: e.hub!.repo, revision: e.hub!.revision ?? DEFAULT_REVISION, file, repoType: 'dataset' });
  if (e.hub.files?.length) return e.hub.files.map(ref);
  const prefix = ref('x').slice(0, -1);
  const re = globToRegExp(e.hub.glob ?? '**');
  return (await deps.store.list()).map((s) => s.key).filter((k) => k.startsWith(prefix) && re.test(k.slice(prefix.length)));
}

/** JSON / JSON Lines / CSV as prepareData reads them (same parser, so a preview shows what training will use). */
export function parseText(name: string, text: string): ReadSource {
  if (/\.csv$/i.test(name)) {
    const c = csvRecords(text, name);
    return { name, shape: 'csv', rows: c.records.length + c.rejected.length, records: c.records, where: c.records.map((_, i) => `row ${i + 2}`), rejected: c.rejected };
  }
  try {
    const p = parseRecords(text, { label: name });
    return { name, shape: p.format, rows: p.records.length + p.rejected.length, records: p.records, where: p.where, rejected: p.rejected };
  } catch (e) {
    throw userError(`${name} could not be read: ${(e as Error).message}`, String(e));
  }
}

async function fetchText(deps: IngestDeps, name: string, url: string, signal: AbortSignal): Promise<string> {
  const res = await deps.fetch(url, { signal }).catch((e) => {
    if (signal.aborted) throw e;
    throw userError(`Could not download '${name}'. Check the connection and try again.`, String(e));
  });
  if (!res.ok) throw userError(`'${name}' could not be downloaded (the server answered ${res.status}).`, url);
  return res.text();
}

export async function readSource(deps: IngestDeps, src: IngestSource, signal: AbortSignal): Promise<ReadSource> {
  if (src.kind === 'text') return parseText(src.name, src.text);
  if (src.kind === 'url') return parseText(src.name, await fetchText(deps, src.name, src.url, signal));
  if (src.kind === 'stored') {
    const bytes = await readShard(deps.store, src.key);
    if (!bytes) throw userError(`The stored set '${src.name}' is no longer in this browser's storage. Run the filter again.`, src.key);
    return parseText(`${src.name}.jsonl`, decodeText(bytes));
  }
  const e = entryOf(deps, src.id);
  const keys = await entryKeys(deps, e);
  const out: ReadSource = { name: e.id, shape: e.format, rows: 0, records: [], where: [], rejected: [] };
  const held = await Promise.all(keys.map((k) => deps.store.has(k)));
  if (!held.some(Boolean)) throw userError(`'${e.id}' has not been pulled yet. Press Pull (it needs a connection to the hub).`);
  for (const key of keys) {
    signal.throwIfAborted();
    const bytes = await readShard(deps.store, key);
    if (!bytes) throw userError(`'${e.id}' is only partly pulled (${key.split('/').pop()} is missing). Press Pull to finish it.`, key);
    const file = key.split('/').slice(4).join('/');
    const r = await convert(bytes, e.format, { label: file, fields: e.fields }).catch((err) => {
      throw userError(`${e.id}: ${file} could not be converted: ${(err as Error).message}`, String(err));
    });
    const tag = keys.length > 1 ? `${file}: ` : '';
    out.rows += r.rows;
    out.records.push(...r.records);
    out.where.push(...r.where.map((w) => tag + w));
    out.rejected.push(...r.rejected.map((x) => ({ where: tag + x.where, reason: x.reason })));
  }
  return out;
}

/** Unified records as JSON Lines (the format prepareData reads). */
export function toJsonl(records: UnifiedRecord[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : '');
}
