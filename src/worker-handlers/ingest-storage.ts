/**
 * The ShardStore ('webift-shards') as the Storage screen sees it: every complete shard and unfinished download with
 * its size, classified by key (hub file, 'scores/...' AlpaGasus scores, 'filtered/...' kept sets) and tied to the
 * catalogue entries it serves; and delete, of one item or all. Each delete goes through the store's own delete,
 * which removes a shard's data and info records in one transaction, so what remains stays readable.
 * Not handled: deleting a whole catalogue entry at once (its files are listed, and deleted, one by one).
 */
import type { DeleteStoredParams, StoredItem } from '../protocol/ingest-api';
import { entryKeys, type IngestDeps } from './ingest-sources';

/** 'huggingface.co/datasets/QingyiSi%2FAlpaca-CoT/main/dolly/dolly.json' -> 'dolly/dolly.json (QingyiSi/Alpaca-CoT)'. */
export function storedLabel(key: string): string {
  if (key.startsWith('filtered/')) return decodeURIComponent(key.slice('filtered/'.length));
  if (key.startsWith('scores/')) return `scores of ${decodeURIComponent(key.split('/')[1] ?? '')}`;
  const seg = key.replace(/^no-exist\//, '').split('/');
  if (seg.length < 5) return key;
  const repo = decodeURIComponent(seg[2]);
  return `${seg.slice(4).join('/')} (${repo}${seg[3] === 'main' ? '' : `@${decodeURIComponent(seg[3])}`})`;
}

function kindOf(key: string): StoredItem['kind'] {
  return key.startsWith('filtered/') ? 'kept-set' : key.startsWith('scores/') ? 'scores' : 'dataset-file';
}

export async function storedItems(deps: IngestDeps): Promise<StoredItem[]> {
  const owners = new Map<string, string[]>();
  for (const e of deps.manifest.datasets) for (const k of await entryKeys(deps, e)) owners.set(k, [...(owners.get(k) ?? []), e.id]);
  const items: StoredItem[] = (await deps.store.list()).map((s) => ({ key: s.key, kind: kindOf(s.key), label: storedLabel(s.key), bytes: s.size, entries: owners.get(s.key) ?? [] }));
  for (const p of (await deps.store.listPartials?.()) ?? []) {
    items.push({ key: p.key, kind: 'partial', label: storedLabel(p.key), bytes: p.size, entries: owners.get(p.key) ?? [] });
  }
  return items;
}

export async function deleteStored(deps: IngestDeps, p: DeleteStoredParams): Promise<number> {
  if (p.key !== undefined) {
    if (p.partial) {
      if (!(await deps.store.getPartial(p.key))) return 0;
      await deps.store.deletePartial(p.key);
      return 1;
    }
    if (!(await deps.store.has(p.key))) return 0;
    await deps.store.delete(p.key);
    return 1;
  }
  let n = 0;
  for (const s of await deps.store.list()) {
    await deps.store.delete(s.key);
    n++;
  }
  for (const s of (await deps.store.listPartials?.()) ?? []) {
    await deps.store.deletePartial(s.key);
    n++;
  }
  return n;
}
