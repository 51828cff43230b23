/**
 * An error as UX.md wants it: one or two sentences (what happened, what was kept, what next) and the technical
 * details behind "Show details". An alert, so screen readers announce it; dismissable.
 */
import { Show } from 'solid-js';
import type { UiError } from './stores/run-state';

export function ErrorNote(props: { error: UiError | null; onDismiss?: () => void }) {
  return (
    <Show when={props.error}>
      {(e) => (
        <div class="error-note" role="alert">
          <p>{e().message}</p>
          <Show when={e().details}>
            <details>
              <summary>Show details</summary>
              <pre>{e().details}</pre>
            </details>
          </Show>
          <Show when={props.onDismiss}>
            <button type="button" class="link" onClick={() => props.onDismiss?.()}>Dismiss</button>
          </Show>
        </div>
      )}
    </Show>
  );
}
