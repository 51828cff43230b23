/**
 * The Data screen: the mix (each source with its share), the embedded index's other files to add, your own file
 * dropped in (JSON, JSONL or CSV; its text stays in this tab and is not part of share links), the catalogue, record
 * preview and AlpaGasus filter (data/IngestPanels), then per-source counts, the token-length histogram and a record
 * preview from the worker's prepareData.
 */
import { For, Show, createSignal } from 'solid-js';
import type { Controller } from './stores/controller';
import { NumberField, Card } from './fields';
import { isBusy } from './stores/run-state';
import { IngestPanels } from './data/IngestPanels';

export function DataScreen(props: { ctl: Controller }) {
  const ctl = props.ctl;
  const [over, setOver] = createSignal(false);
  const inMix = (name: string) => ctl.exp.data.some((d) => d.name === name);

  const addFiles = async (files: FileList | null) => {
    for (const f of [...(files ?? [])]) {
      if (!/\.(jsonl?|csv)$/i.test(f.name)) {
        ctl.setError({ message: `${f.name} is not a JSON, JSONL or CSV file, so it was not added. Nothing else changed.`, details: f.type });
        continue;
      }
      ctl.dropped.set(f.name, await f.text());
      if (!inMix(f.name)) ctl.setExp('data', (d) => [...d, { name: f.name, url: '', weight: 1 }]);
    }
    ctl.invalidateData();
    void ctl.ensureData();
  };
  const hmax = () => Math.max(1, ...(ctl.data()?.histogram.map((h) => h.count) ?? [1]));

  return (
    <div class="data-screen">
      <Card title="Data mix">
        <Show when={ctl.exp.data.length} fallback={<p class="muted">The mix is empty. Add a source below or drop a file.</p>}>
          <ul class="mix">
            <For each={ctl.exp.data}>
              {(d, i) => (
                <li>
                  <span class="grow">{d.name} <span class="muted">{d.url ? d.url : d.stored ? '(stored in this browser)' : '(your file)'}</span></span>
                  <NumberField label={`Share of ${d.name}`} min={0.01} max={1} step={0.05} value={d.weight} disabled={isBusy(ctl.run.phase)} onChange={(v) => ctl.setExp('data', i(), 'weight', Math.min(1, Math.max(0.01, v)))} />
                  <button type="button" disabled={isBusy(ctl.run.phase)} onClick={() => ctl.setExp('data', (all) => all.filter((_, k) => k !== i()))}>Remove</button>
                </li>
              )}
            </For>
          </ul>
        </Show>
        <Show when={ctl.index().some((e) => !inMix(e.name))}>
          <p>Also in the embedded data:</p>
          <ul class="mix">
            <For each={ctl.index().filter((e) => !inMix(e.name))}>
              {(e) => <li><span class="grow">{e.name} <span class="muted">{e.description}</span></span><button type="button" onClick={() => ctl.setExp('data', (d) => [...d, { name: e.name, url: e.url, weight: 1 }])}>Add</button></li>}
            </For>
          </ul>
        </Show>
        <div class={`dropzone ${over() ? 'over' : ''}`} onDragOver={(e) => (e.preventDefault(), setOver(true))} onDragLeave={() => setOver(false)}
          onDrop={(e) => {
            e.preventDefault();
            setOver(false);
            void addFiles(e.dataTransfer?.files ?? null);
          }}>
          <label>Drop a JSON, JSONL or CSV file of instruction records here, or <input type="file" accept=".json,.jsonl,.csv" multiple aria-label="Add a data file" onChange={(e) => void addFiles(e.currentTarget.files)} /></label>
          <p class="field-help">Fields: instruction, input, output (or messages). The file stays in this tab.</p>
        </div>
        <button type="button" onClick={() => void ctl.ensureModel().then((m) => m && ctl.ensureData())}>Read and tokenize the mix</button>
      </Card>
      <IngestPanels ctl={ctl} />
      <Show when={ctl.data()}>
        {(s) => (
          <>
            <Card title="Per source">
              <table>
                <thead><tr><th>Source</th><th>Records</th><th>Used</th><th>Rejected</th></tr></thead>
                <tbody>
                  <For each={s().perSource}>{(p) => <tr><td>{p.name}</td><td>{p.records}</td><td>{p.used}</td><td title={p.firstRejection ?? ''}>{p.rejected}</td></tr>}</For>
                </tbody>
              </table>
              <p>{s().examples} examples, {s().totalTokens.toLocaleString('en-US')} tokens (mean {s().meanLength.toFixed(1)}, longest {s().maxLength}); {s().truncated} cut at the cutoff length.</p>
            </Card>
            <Card title="Token lengths">
              <div class="histogram" role="img" aria-label="Histogram of example lengths in tokens">
                <For each={s().histogram}>
                  {(h) => (
                    <div class="bar-row">
                      <span class="bar-label">{h.lo}–{h.hi - 1} tokens</span>
                      <span class="bar" style={{ width: `${(100 * h.count) / hmax()}%` }} />
                      <span class="bar-count">{h.count}</span>
                    </div>
                  )}
                </For>
              </div>
            </Card>
            <Card title="Preview">
              <For each={s().preview}>{(p) => <div class="record"><span class="muted">{p.source}</span><pre>{JSON.stringify(p.record, null, 2)}</pre></div>}</For>
            </Card>
          </>
        )}
      </Show>
    </div>
  );
}
