/**
 * The AlpaGasus filter (Chen et al. 2023): an OpenAI-compatible rater (or this tab's model, offline and weak) scores
 * each record 0-5 and those at or above the threshold (4.5 by default) are kept. Fields for the endpoint (the API
 * key stays in this tab's memory only), the source and how many records to rate; Run filter / Cancel filter; the
 * running score histogram (uPlot) with kept and rejected counts; and "Use the kept records in the mix".
 */
import { For, Show } from 'solid-js';
import type { IngestStore } from '../stores/ingest-store';
import { Card, NumberField, TextField } from '../fields';
import { ScoreChart } from './ScoreChart';

export function FilterPanel(props: { ingest: IngestStore; busy: () => boolean }) {
  const ing = props.ingest;
  const running = () => ing.filterBusy();
  const local = () => ing.raterKind() === 'local';
  const label = () => ing.filterSource() || ing.sources()[0]?.label || '';
  const hist = () => ing.filtered()?.histogram ?? ing.filtering()?.histogram;
  const ep = ing.endpoint;
  return (
    <Card title="AlpaGasus filter">
      <p class="field-help">A rater LLM scores every (instruction, input, output) from 0 to 5 with the AlpaGasus prompt; records at or above the threshold are kept. Any OpenAI-compatible endpoint works (OpenAI, vLLM, llama.cpp, Ollama), or this tab's model.</p>
      {/* noValidate: the fields clamp themselves; a step mismatch (3 where the step is 10) must not block Run filter silently. */}
      <form class="filter-form" noValidate onSubmit={(e) => {
        e.preventDefault();
        if (!running() && label()) void ing.runFilter();
      }}>
        <div class="filter-fields">
          <div class="field">
            <label class="field-label" for="rater-kind">Rater</label>
            <select id="rater-kind" value={ing.raterKind()} disabled={running()} aria-describedby="rater-kind-help" onChange={(e) => ing.setRaterKind(e.currentTarget.value === 'local' ? 'local' : 'endpoint')}>
              <option value="endpoint">An OpenAI-compatible endpoint</option>
              <option value="local">This tab's model (offline)</option>
            </select>
            <span class="field-help" id="rater-kind-help">
              {local() ? "No network needed, but the embedded tiny model was never taught to judge: expect scores close to noise. Fine for trying the flow; use a strong rater to filter for real." : 'The AlpaGasus paper rated with ChatGPT.'}
            </span>
          </div>
          <TextField label="Rater base URL" value={ep().baseUrl} onChange={(v) => ing.setEndpoint({ ...ep(), baseUrl: v.trim() })} disabled={running() || local()} />
          <TextField label="Rater model" value={ep().model} onChange={(v) => ing.setEndpoint({ ...ep(), model: v.trim() })} disabled={running() || local()} />
          <div class="field">
            <label class="field-label" for="rater-key">API key</label>
            <input id="rater-key" type="password" autocomplete="off" value={ep().apiKey} disabled={running() || local()} aria-describedby="rater-key-help" onChange={(e) => ing.setEndpoint({ ...ep(), apiKey: e.currentTarget.value })} />
            <span class="field-help" id="rater-key-help">Kept in this tab's memory only: never saved, never in a share link.</span>
          </div>
          <NumberField label="Threshold" help="Keep records scoring at least this (AlpaGasus: 4.5)." min={0} max={5} step={0.5} value={ing.threshold()} onChange={(v) => ing.setThreshold(Math.min(5, Math.max(0, v)))} disabled={running()} />
          <div class="field">
            <label class="field-label" for="filter-source">Source to filter</label>
            <select id="filter-source" value={label()} disabled={running()} onChange={(e) => ing.setFilterSource(e.currentTarget.value)}>
              <For each={ing.sources()}>{(s) => <option value={s.label}>{s.label}</option>}</For>
            </select>
          </div>
          <NumberField label="Rate at most" help="Records from the start of the source; 0 rates all." min={0} step={10} value={ing.limit()} onChange={(v) => ing.setLimit(Math.max(0, Math.floor(v)))} disabled={running()} />
        </div>
        <div class="row-fields">
          <button type="submit" class="primary" disabled={running() || !label()}>Run filter</button>
          <button type="button" disabled={!running()} onClick={() => ing.cancelFilter()}>Cancel filter</button>
        </div>
      </form>
      <Show when={ing.filtering()}>
        {(p) => (
          <p class="filter-status" role="status">
            {ing.filtered() ? `Done: ${ing.filtered()!.total} rated in ${(ing.filtered()!.ms / 1000).toFixed(1)} s` : `Rated ${p().rated} of ${p().total || '…'}`}
            {ing.filtered()?.reused ? ` (${ing.filtered()!.reused} reused from an earlier run)` : ''}.
          </p>
        )}
      </Show>
      <Show when={hist()}>{(h) => <ScoreChart histogram={h()} threshold={ing.threshold()} />}</Show>
      <Show when={ing.filtered()}>
        {(f) => (
          <div class="filter-result">
            <p><strong class="kept-count" data-kept={f().kept}>Kept {f().kept}</strong> of {f().total} (score ≥ {f().threshold}); rejected {f().rejected}{f().histogram.unparsed ? `, of which ${f().histogram.unparsed} answers had no readable score` : ''}.</p>
            <button type="button" disabled={props.busy()} onClick={() => void ing.useFiltered()}>Use the kept records in the mix</button>
          </div>
        )}
      </Show>
    </Card>
  );
}
