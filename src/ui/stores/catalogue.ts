/**
 * The Data screen's catalogue logic, as plain functions the store and the tests share: filtering entries by tags
 * (any tag within a group, every group that has a selection: "EN or CN, and MT") and by words in the id, name,
 * collection or licence; a named mix as (id, share) items; a filter source from a mix entry; units for humans.
 * Not here: anything that talks to a worker (ingest-store.ts).
 */
import type { DataSourceRef } from '../../experiment/experiment';
import type { CatalogueInfo, DatasetEntry, IngestSource, MixSpec } from '../../protocol/ingest-api';

export type TagGroup = CatalogueInfo['tags'][number]['group'];

export function entryTags(e: DatasetEntry): Record<TagGroup, string[]> {
  return { Lang: e.tags.lang, Task: e.tags.task, Gen: e.tags.gen };
}

/**
 * Entries carrying the selected tags: within one group any selected tag matches, across groups all groups must
 * match; `query` words must each appear (case-insensitively) in the id, name, collection or licence.
 */
export function filterCatalogue(entries: DatasetEntry[], selected: ReadonlySet<string>, groups: CatalogueInfo['tags'], query: string): DatasetEntry[] {
  const byGroup = new Map<TagGroup, string[]>();
  for (const t of groups) if (selected.has(t.tag)) byGroup.set(t.group, [...(byGroup.get(t.group) ?? []), t.tag]);
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return entries.filter((e) => {
    const tags = entryTags(e);
    for (const [g, want] of byGroup) if (!want.some((t) => tags[g].includes(t))) return false;
    const hay = `${e.id} ${e.name} ${e.collection} ${e.license}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/** How many entries carry each tag (for the chip labels). */
export function tagCounts(entries: DatasetEntry[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of entries) for (const t of [...e.tags.lang, ...e.tags.task, ...e.tags.gen]) out.set(t, (out.get(t) ?? 0) + 1);
  return out;
}

/**
 * A named mix as catalogue items with a share in (0, 1]: the mix's concat ratio capped at 1 (a share cannot repeat
 * records; the experiment's weight is a share). Interleave weights are relative: they are scaled so the largest is 1.
 */
export function namedMixItems(mix: MixSpec): { id: string; weight: number }[] {
  const ratios = mix.sources.map((s) => s.ratio ?? 1);
  const scale = (mix.strategy ?? 'concat') === 'concat' ? 1 : 1 / Math.max(...ratios);
  return mix.sources.map((s, i) => ({ id: s.id, weight: Math.min(1, Math.max(0.01, Math.round(ratios[i] * scale * 100) / 100)) }));
}

/** A stored mix entry as the ingest worker reads it from the ShardStore: a pulled entry by id, a kept set by key. */
export function storedSourceOf(d: DataSourceRef): IngestSource | null {
  if (!d.stored) return null;
  return 'entry' in d.stored ? { kind: 'dataset', id: d.stored.entry } : { kind: 'stored', name: d.name, key: d.stored.set };
}

/** A mix entry as the ingest worker reads it: the embedded file by URL, a stored source from the ShardStore, a dropped file by its text. */
export function ingestSourceOf(d: DataSourceRef, dropped: ReadonlyMap<string, string>, origin: string): IngestSource | null {
  if (d.stored) return storedSourceOf(d);
  if (d.url) return { kind: 'url', name: d.name, url: new URL(d.url, origin).href };
  const text = dropped.get(d.name);
  return text === undefined ? null : { kind: 'text', name: d.name, text };
}

/** Puts `next` in place of the entry named `replace` (keeping its share), or appends it; never two of one name. */
export function withSource(mix: DataSourceRef[], next: DataSourceRef, replace?: string): DataSourceRef[] {
  const at = mix.findIndex((d) => d.name === (replace ?? next.name));
  if (at < 0) return [...mix.filter((d) => d.name !== next.name), next];
  const entry = replace ? { ...next, weight: mix[at].weight } : next;
  return mix.flatMap((d, i) => (i === at ? [entry] : d.name === next.name ? [] : [d]));
}

export function formatBytes(n: number | null): string {
  if (n === null) return '?';
  if (n < 1e3) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n, u = -1;
  while (v >= 1e3 && u < units.length - 1) { v /= 1e3; u++; }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

export function formatCount(n: number | null, approx = false): string {
  if (n === null) return '?';
  const s = n >= 1e6 ? `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M` : n >= 1e4 ? `${Math.round(n / 1e3)}k` : String(n);
  return approx ? `~${s}` : s;
}
