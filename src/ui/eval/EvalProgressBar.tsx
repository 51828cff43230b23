/**
 * The running evaluation: what it does now, items done of total, a progress bar and "Stop evaluation" (the worker
 * stops after the current item; what a batch prediction finished is kept for a rerun).
 */
import { Show } from 'solid-js';
import type { EvalEngine } from '../stores/eval-engine';

export function EvalProgressBar(props: { engine: EvalEngine }) {
  return (
    <Show when={props.engine.running()}>
      <div class="eval-progress" role="status" aria-label="Evaluation progress">
        <span>{props.engine.progress()?.phase ?? 'starting'}: {props.engine.progress()?.done ?? 0} of {props.engine.progress()?.total ?? '?'}</span>
        <progress aria-label="Evaluation progress bar" max={props.engine.progress()?.total || 1} value={props.engine.progress()?.done ?? 0} />
        <button type="button" onClick={() => props.engine.stop()}>Stop evaluation</button>
      </div>
    </Show>
  );
}
