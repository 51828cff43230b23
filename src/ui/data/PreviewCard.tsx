/**
 * Record preview of any source the ingest worker can read (a mix entry, a stored catalogue entry): the first
 * records as the unified format (instruction/input/output or messages), the converter used, and the rejected rows
 * with where and why.
 */
import { For, Show, createSignal } from 'solid-js';
import type { IngestStore } from '../stores/ingest-store';
import { Card } from '../fields';

export function PreviewCard(props: { ingest: IngestStore }) {
  const ing = props.ingest;
  const [pick, setPick] = createSignal('');
  const label = () => pick() || ing.sources()[0]?.label || '';
  return (
    <Card title="Record preview">
      <div class="row-fields">
        <label for="preview-source">Source</label>
        <select id="preview-source" value={label()} onChange={(e) => setPick(e.currentTarget.value)}>
          <For each={ing.sources()}>{(s) => <option value={s.label}>{s.label}</option>}</For>
        </select>
        <button type="button" disabled={!label()} onClick={() => void ing.previewSource(label())}>Preview</button>
      </div>
      <Show when={ing.preview()}>
        {(p) => (
          <>
            <p>{p().name}: {p().records} records from {p().rows} rows ({p().shape}){p().rejectedCount ? `, ${p().rejectedCount} rejected` : ''}.</p>
            <ol class="preview-list"><For each={p().first}>{(r) => <li><span class="muted">{r.where}</span> <code>{JSON.stringify(r.record)}</code></li>}</For></ol>
            <Show when={p().rejected.length}>
              <p>Rejected rows:</p>
              <ul class="rejections"><For each={p().rejected}>{(r) => <li><span class="muted">{r.where}</span>: {r.reason}</li>}</For></ul>
            </Show>
          </>
        )}
      </Show>
    </Card>
  );
}
