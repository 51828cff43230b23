/**
 * The dataset catalogue (datasets-manifest.json through the ingest worker): Lang/Task/Gen tag chips and a search
 * box filter the table; each row shows tags, record count, size, licence and a source link, with a share field and
 * "Add to mix" (which pulls the files first, with a progress bar and Cancel). A named mix can replace the mix.
 * The catalogue loads when the Data screen is first shown, so the first minute of the app does not pay for it.
 */
import { For, Show, createSignal, onCleanup, onMount } from 'solid-js';
import type { IngestStore } from '../stores/ingest-store';
import { formatBytes, formatCount, tagCounts } from '../stores/catalogue';
import { Card } from '../fields';
import { PullBar } from './PullBar';

export function CatalogueCard(props: { ingest: IngestStore; busy: () => boolean }) {
  const ing = props.ingest;
  let root!: HTMLDivElement;
  const [shares, setShares] = createSignal<Record<string, number>>({});
  const [mixName, setMixName] = createSignal('');
  const counts = () => tagCounts(ing.catalogue()?.datasets ?? []);
  const groups = () => ['Lang', 'Task', 'Gen'].map((g) => ({ group: g, tags: (ing.catalogue()?.tags ?? []).filter((t) => t.group === g) }));

  // A hidden tab panel lays its content out at 0x0: the first non-empty size means the Data screen is shown.
  onMount(() => {
    const ro = new ResizeObserver((es) => {
      if (es.some((e) => e.contentRect.height > 0)) {
        ro.disconnect();
        void ing.loadCatalogue();
      }
    });
    ro.observe(root);
    onCleanup(() => ro.disconnect());
  });

  return (
    <Card title="Dataset catalogue" class="catalogue">
      <div ref={root}>
        <Show when={ing.catalogue()} fallback={<p class="muted">Reading the catalogue…</p>}>
          {(c) => (
            <>
              <p class="field-help">The Alpaca-CoT collection and friends. Adding one downloads it from the Hugging Face hub into this browser (it needs a connection); the embedded data needs none.</p>
              <div class="tag-filters">
                <For each={groups()}>
                  {(g) => (
                    <fieldset class="chips">
                      <legend>{g.group}</legend>
                      <For each={g.tags}>
                        {(t) => (
                          <button type="button" class="chip" aria-pressed={ing.selected().has(t.tag)} title={t.meaning} onClick={() => ing.toggleTag(t.tag)}>
                            {t.tag}<span class="muted" aria-hidden="true"> {counts().get(t.tag) ?? 0}</span>
                          </button>
                        )}
                      </For>
                    </fieldset>
                  )}
                </For>
                <input type="search" class="catalogue-search" aria-label="Search datasets" placeholder="Search datasets" value={ing.query()} onInput={(e) => ing.setQuery(e.currentTarget.value)} />
              </div>
              <div class="named-mix">
                <label for="named-mix">Named mix</label>
                <select id="named-mix" value={mixName()} onChange={(e) => setMixName(e.currentTarget.value)}>
                  <option value="">Choose a mix…</option>
                  <For each={c().mixes}>{(m) => <option value={m.name}>{m.name} ({m.sources.map((s) => s.id).join(' + ')})</option>}</For>
                </select>
                <button type="button" disabled={!mixName() || props.busy() || !!ing.pull()} onClick={() => void ing.useNamedMix(mixName())}>Use mix</button>
              </div>
              <PullBar ingest={ing} />
              <p class="catalogue-count" role="status" data-count={ing.visible().length}>{ing.visible().length} of {c().datasets.length} datasets</p>
              <div class="table-scroll">
                <table class="catalogue-table">
                  <thead><tr><th>Dataset</th><th>Tags</th><th>Records</th><th>Size</th><th>Licence</th><th>Share</th><th /></tr></thead>
                  <tbody>
                    <For each={ing.visible()}>
                      {(e) => (
                        <tr data-id={e.id}>
                          <td><a href={e.source} target="_blank" rel="noopener noreferrer">{e.name}</a><div class="muted">{e.id}{e.role === 'eval' ? ' · eval set' : ''}{ing.pulled().has(e.id) ? ' · stored' : ''}</div></td>
                          <td>{[...e.tags.lang, ...e.tags.task, ...e.tags.gen].join(' ')}</td>
                          <td>{formatCount(e.records, e.recordsApprox)}</td>
                          <td>{formatBytes(e.bytes)}</td>
                          <td class="licence">{e.license}</td>
                          <td><input type="number" class="share" min={0.01} max={1} step={0.05} aria-label={`Share of ${e.id}`} value={shares()[e.id] ?? 1}
                            onChange={(ev) => setShares({ ...shares(), [e.id]: Math.min(1, Math.max(0.01, Number(ev.currentTarget.value) || 1)) })} /></td>
                          <td>
                            <button type="button" disabled={!e.hub || props.busy() || !!ing.pull()} title={e.hub ? `${e.hub.repo}: ${(e.hub.files ?? [e.hub.glob]).join(', ')}` : 'Not on the hub'}
                              onClick={() => void ing.addToMix(e.id, shares()[e.id] ?? 1)}>Add to mix</button>
                          </td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              </div>
            </>
          )}
        </Show>
      </div>
    </Card>
  );
}
