/**
 * The header's backend line: which compute backend runs the model, and why not a faster one. A polite live region,
 * so screen readers hear it once the worker answers. Technical details of a failure sit behind "Show details".
 */
import { Match, Switch, type Accessor } from 'solid-js';
import type { BackendStatus } from './backend-status';

export function BackendLine(props: { status: Accessor<BackendStatus> }) {
  const s = props.status;
  return (
    <div class="backend-line" role="status" aria-label="Compute backend" data-state={s().state}>
      <Switch>
        <Match when={s().state === 'starting'}>
          <span>Starting the compute backend…</span>
        </Match>
        <Match when={s().state === 'ready' && (s() as Extract<BackendStatus, { state: 'ready' }>)}>
          {(r) => (
            <span data-backend={r().choice.name} title={r().choice.slow ? 'This backend is correct but slow on this device.' : undefined}>
              {r().line}
            </span>
          )}
        </Match>
        <Match when={s().state === 'failed' && (s() as Extract<BackendStatus, { state: 'failed' }>)}>
          {(f) => (
            <>
              <span>No compute backend could start: {f().message} Try another browser, or enable WebGPU.</span>
              <details>
                <summary>Show details</summary>
                <pre>{f().details}</pre>
              </details>
            </>
          )}
        </Match>
      </Switch>
    </div>
  );
}
