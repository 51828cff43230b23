/**
 * Stored data sources (a pulled catalogue entry, a kept AlpaGasus set) as the experiment names them: which of a mix's
 * stored sources this browser's ShardStore lacks, and their records read back through the ingest worker as texts
 * for the session worker's prepareData (so a share link, a preset or a resumed run trains on them after a reload).
 * Not here: pulling (ingest-store.ts) and the page's offer to pull what a link lacks (link-offer.ts).
 */
import type { DataSourceRef } from '../../experiment/experiment';
import type { IngestApi } from '../../protocol/ingest-api';
import type { Client } from '../../protocol/client';
import { storedSourceOf } from './catalogue';

export type StoredClient = Pick<Client<IngestApi>, 'call'>;

export interface MissingStored {
  /** Catalogue ids to pull, e.g. ['dolly']. */
  entries: string[];
  /** Kept sets made by a filter run elsewhere: they cannot be downloaded. */
  sets: { name: string; key: string }[];
}

export const isStored = (d: DataSourceRef): boolean => !!d.stored;

/** What the mix's stored sources need that this browser does not hold (nothing to ask when the mix has none). */
export async function missingStored(data: readonly DataSourceRef[], client: () => StoredClient): Promise<MissingStored> {
  const out: MissingStored = { entries: [], sets: [] };
  if (!data.some(isStored)) return out;
  const [pulled, items] = await Promise.all([client().call('pulled', {}), client().call('storedItems', {})]);
  const have = new Set(pulled), keys = new Set(items.filter((i) => i.kind === 'kept-set').map((i) => i.key));
  for (const d of data) {
    if (d.stored && 'entry' in d.stored && !have.has(d.stored.entry) && !out.entries.includes(d.stored.entry)) out.entries.push(d.stored.entry);
    if (d.stored && 'set' in d.stored && !keys.has(d.stored.set)) out.sets.push({ name: d.name, key: d.stored.set });
  }
  return out;
}

/** One sentence naming what is missing, for the page (empty when nothing is). */
export function missingMessage(m: MissingStored): string {
  const parts: string[] = [];
  if (m.entries.length) parts.push(`${m.entries.join(', ')} from the dataset catalogue (not pulled in this browser yet)`);
  if (m.sets.length) parts.push(`the filtered set${m.sets.length > 1 ? 's' : ''} ${m.sets.map((s) => s.name).join(', ')} (made by the AlpaGasus filter in another browser; it cannot be downloaded)`);
  return parts.length ? `This link's data mix uses ${parts.join(' and ')}.` : '';
}

/**
 * Puts the records of every stored source without a text yet into `texts` (by mix name), read from the ShardStore
 * by the ingest worker. A source that is gone throws the worker's message ("'dolly' has not been pulled yet. ...").
 */
export async function resolveStoredTexts(data: readonly DataSourceRef[], texts: Map<string, string>, client: () => StoredClient): Promise<number> {
  let n = 0;
  for (const d of data) {
    const src = storedSourceOf(d);
    if (!src || texts.has(d.name)) continue;
    const r = await client().call('records', { source: src });
    texts.set(d.name, r.jsonl);
    n++;
  }
  return n;
}

/** Forgets the texts of stored sources (after a Storage delete), so the next read goes back to the ShardStore. */
export function forgetStoredTexts(data: readonly DataSourceRef[], texts: Map<string, string>): void {
  for (const d of data) if (d.stored) texts.delete(d.name);
}
