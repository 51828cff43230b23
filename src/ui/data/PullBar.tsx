/**
 * Progress of the pull in flight: file, files done, bytes, a progress bar and "Cancel pull" (the bytes so far are
 * kept, so the next pull resumes with an HTTP Range request).
 */
import { Show } from 'solid-js';
import type { IngestStore } from '../stores/ingest-store';
import { formatBytes } from '../stores/catalogue';

export function PullBar(props: { ingest: IngestStore }) {
  return (
    <Show when={props.ingest.pull()}>
      {(p) => (
        <div class="pull-bar">
          <span>Pulling {p().id}{p().file ? `: ${p().file}` : ''} ({p().filesDone} of {p().filesTotal || '?'} files, {formatBytes(p().bytesDone)} of {p().bytesTotal ? formatBytes(p().bytesTotal) : '?'})</span>
          {/* Without a size yet the bar is indeterminate: a progress element with no value attribute at all. */}
          <progress aria-label="Pull progress" max={p().bytesTotal || 1} {...(p().bytesTotal ? { value: p().bytesDone } : {})} />
          <button type="button" onClick={() => props.ingest.cancelPull()}>Cancel pull</button>
        </div>
      )}
    </Show>
  );
}
