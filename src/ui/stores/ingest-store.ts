/**
 * The Data screen's ingest state and verbs over the ingest worker: the catalogue with tag and text filters, pulls
 * with progress and Cancel, adding pulled entries (or a whole named mix, all or nothing) to the experiment's mix,
 * previews, and the AlpaGasus filter whose kept set can replace its source in the mix. The rater's API key is a
 * signal here and goes only into the filter call: never into the experiment, a link or storage.
 */
import { createSignal } from 'solid-js';
import type { DataSourceRef } from '../../experiment/experiment';
import type { CatalogueInfo, FilterProgress, FilterSummary, IngestApi, IngestSource, PreviewResult } from '../../protocol/ingest-api';
import type { Client } from '../../protocol/client';
import type { UiError } from './run-state';
import { isAbort, toUiError } from './errors';
import { filterCatalogue, ingestSourceOf, namedMixItems, withSource } from './catalogue';

export type IngestClient = Pick<Client<IngestApi>, 'call'>;

/** What the ingest store needs from the app (the controller in the app, a fake in tests). */
export interface IngestHost {
  mix(): DataSourceRef[];
  setMix(next: DataSourceRef[]): void;
  /** Texts of sources that are not URLs (dropped, pulled, filtered), by mix name. */
  dropped: Map<string, string>;
  /** The mix changed: re-read and re-tokenize it. */
  dataChanged(): void;
  setError(e: UiError | null): void;
  /** This tab's model as the AlpaGasus rater: a port the session worker rates on until stop() (ingest-for.ts). */
  localRater?(): Promise<LocalRater>;
}

export interface LocalRater {
  port: MessagePort;
  label: string;
  stop(): void;
}

export interface PullState {
  id: string;
  file: string;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

export function createIngest(host: IngestHost, client: () => IngestClient, origin: string) {
  const [catalogue, setCatalogue] = createSignal<CatalogueInfo | null>(null);
  const [selected, setSelected] = createSignal<ReadonlySet<string>>(new Set());
  const [query, setQuery] = createSignal('');
  const [pulled, setPulled] = createSignal<ReadonlySet<string>>(new Set());
  const [pull, setPull] = createSignal<PullState | null>(null);
  const [preview, setPreview] = createSignal<PreviewResult | null>(null);
  const [endpoint, setEndpoint] = createSignal({ baseUrl: 'https://api.openai.com/v1', model: 'gpt-4o-mini', apiKey: '' });
  /** 'endpoint': an OpenAI-compatible server; 'local': this tab's model (offline, poor scores from a tiny model). */
  const [raterKind, setRaterKind] = createSignal<'endpoint' | 'local'>('endpoint');
  const [threshold, setThreshold] = createSignal(4.5);
  const [limit, setLimit] = createSignal(0);
  const [filterSource, setFilterSource] = createSignal('');
  const [filtering, setFiltering] = createSignal<FilterProgress | null>(null);
  const [filtered, setFiltered] = createSignal<(FilterSummary & { source: string }) | null>(null);
  const [filterBusy, setFilterBusy] = createSignal(false);
  let pullCtl: AbortController | null = null, filterCtl: AbortController | null = null;

  const fail = (e: unknown, context = '') => {
    if (!isAbort(e)) host.setError(toUiError(e, context));
  };

  async function loadCatalogue(): Promise<void> {
    if (catalogue()) return;
    try {
      const [c, p] = await Promise.all([client().call('manifest', {}), client().call('pulled', {})]);
      setCatalogue(c);
      setPulled(new Set(p));
    } catch (e) {
      fail(e, 'The dataset catalogue could not be read.');
    }
  }

  /** Re-reads which entries are wholly stored (after the Storage screen deleted some files). */
  async function refreshPulled(): Promise<void> {
    setPulled(new Set(await client().call('pulled', {}).catch(() => [...pulled()])));
  }

  const visible = () => {
    const c = catalogue();
    return c ? filterCatalogue(c.datasets, selected(), c.tags, query()) : [];
  };

  function toggleTag(tag: string): void {
    const next = new Set(selected());
    if (!next.delete(tag)) next.add(tag);
    setSelected(next);
  }

  /** Pulls one entry (resuming what an earlier pull kept); false when cancelled or failed (the error is shown). */
  async function pullEntry(id: string): Promise<boolean> {
    if (pulled().has(id)) return true;
    if (pullCtl) return false;
    pullCtl = new AbortController();
    setPull({ id, file: '', bytesDone: 0, bytesTotal: 0, filesDone: 0, filesTotal: 0 });
    try {
      await client().call('pull', { id }, { signal: pullCtl.signal, onProgress: (p) => setPull({ id, ...p }) });
      setPulled(new Set([...pulled(), id]));
      return true;
    } catch (e) {
      if (isAbort(e)) host.setError({ message: `The pull of ${id} was cancelled. The bytes so far are kept: Pull again to resume.`, details: '' });
      else fail(e, `${id} could not be pulled.`);
      return false;
    } finally {
      pullCtl = null;
      setPull(null);
    }
  }

  function cancelPull(): void {
    pullCtl?.abort();
  }

  /** The entry's records as unified JSON Lines, pulled first when needed; null when that failed. */
  async function sourceFor(id: string, weight: number): Promise<DataSourceRef | null> {
    if (!(await pullEntry(id))) return null;
    const r = await client().call('records', { source: { kind: 'dataset', id } });
    host.dropped.set(id, r.jsonl);
    return { name: id, url: '', weight, stored: { entry: id } };
  }

  async function addToMix(id: string, weight: number): Promise<void> {
    try {
      const src = await sourceFor(id, Math.min(1, Math.max(0.01, weight)));
      if (!src) return;
      host.setMix(withSource(host.mix(), src));
      host.dataChanged();
    } catch (e) {
      fail(e, `${id} could not be added to the mix.`);
    }
  }

  /** Replaces the mix with a named mix once every source is pulled and read; on any failure the mix is unchanged. */
  async function useNamedMix(name: string): Promise<void> {
    const mix = catalogue()?.mixes.find((m) => m.name === name);
    if (!mix) return;
    try {
      const next: DataSourceRef[] = [];
      for (const item of namedMixItems(mix)) {
        const src = await sourceFor(item.id, item.weight);
        if (!src) return;
        next.push(src);
      }
      host.setMix(next);
      host.dataChanged();
    } catch (e) {
      fail(e, `The mix ${name} could not be used; the mix is unchanged.`);
    }
  }

  /** Sources the preview and the filter can read: the mix's entries, then pulled catalogue entries not in it. */
  function sources(): { label: string; source: IngestSource }[] {
    const inMix = host.mix().flatMap((d) => {
      // A pulled entry is read from its stored files, so previews show the rows its converter rejected.
      const s: IngestSource | null = ingestSourceOf(d, host.dropped, origin);
      return s ? [{ label: d.name, source: s }] : [];
    });
    const names = new Set(inMix.map((s) => s.label));
    return [...inMix, ...[...pulled()].filter((id) => !names.has(id)).map((id) => ({ label: id, source: { kind: 'dataset', id } as IngestSource }))];
  }

  async function previewSource(label: string, n = 5): Promise<void> {
    const s = sources().find((x) => x.label === label);
    if (!s) return;
    try {
      setPreview(await client().call('preview', { source: s.source, limit: n }));
    } catch (e) {
      fail(e, `${label} could not be previewed.`);
    }
  }

  async function runFilter(): Promise<void> {
    const label = filterSource() || sources()[0]?.label;
    const s = sources().find((x) => x.label === label);
    if (!s || filterCtl) return;
    filterCtl = new AbortController();
    setFilterBusy(true);
    setFiltered(null);
    setFiltering({ rated: 0, total: 0, kept: 0, histogram: { bins: [], unparsed: 0 } });
    let local: LocalRater | null = null;
    try {
      if (raterKind() === 'local') {
        if (!host.localRater) throw new Error("This tab's model cannot rate here.");
        local = await host.localRater();
      }
      // With this tab's model no endpoint (and no key) leaves the page; the port moves to the ingest worker.
      const params = local ? { endpoint: { baseUrl: '', model: '', apiKey: '' }, raterPort: local.port } : { endpoint: { ...endpoint() } };
      const r = await client().call('filter', { source: s.source, ...params, threshold: threshold(), limit: limit() }, { signal: filterCtl.signal, onProgress: setFiltering, transfer: local ? [local.port] : [] });
      setFiltered({ ...r, source: label! });
    } catch (e) {
      fail(e, 'The AlpaGasus filter stopped.');
      if (isAbort(e)) host.setError({ message: 'The filter was cancelled. The scores so far are kept: Run filter again to rate only the rest.', details: '' });
    } finally {
      local?.stop();
      filterCtl = null;
      setFilterBusy(false);
    }
  }

  function cancelFilter(): void {
    filterCtl?.abort();
  }

  /** Puts the kept records in the mix in place of the source they came from. */
  async function useFiltered(): Promise<void> {
    const f = filtered();
    if (!f) return;
    try {
      const r = await client().call('records', { source: { kind: 'stored', name: f.name, key: f.key } });
      host.dropped.set(f.name, r.jsonl);
      host.setMix(withSource(host.mix(), { name: f.name, url: '', weight: 1, stored: { set: f.key } }, host.mix().some((d) => d.name === f.source) ? f.source : undefined));
      host.dataChanged();
    } catch (e) {
      fail(e, 'The filtered set could not be added to the mix.');
    }
  }

  return {
    catalogue, selected, query, setQuery, pulled, pull, preview, endpoint, setEndpoint, raterKind, setRaterKind, threshold, setThreshold, limit, setLimit,
    filterSource, setFilterSource, filtering, filtered, filterBusy, visible, sources,
    loadCatalogue, refreshPulled, toggleTag, pullEntry, cancelPull, addToMix, useNamedMix, previewSource, runFilter, cancelFilter, useFiltered,
  };
}

export type IngestStore = ReturnType<typeof createIngest>;
