/**
 * The Evaluate screen's link to the eval worker: before a run it loads the session's model there (once per model)
 * and, when the run uses the adapter, sends the session's adapter as PEFT bytes (only when it changed since the
 * last send, as the chat engine does). One run at a time, with a progress signal, Stop (abort) and the error in
 * the UI's shape. A device loss or a crashed worker restarts the eval worker; training is untouched.
 */
import { createSignal } from 'solid-js';
import type { EvalApi, EvalProgress } from '../../protocol/eval-api';
import type { EvalHandle } from '../eval-worker-handle';
import { modelLoadKey, type Controller } from './controller';
import { isAbort, needsRestart, toUiError } from './errors';
import type { UiError } from './run-state';

type Method = 'benchmark' | 'predict' | 'judge' | 'ablate';

const uerr = (message: string) => Object.assign(new Error(message), { details: '' });

export function createEvalEngine(ctl: Pick<Controller, 'client' | 'modelSpec' | 'exp'>, handle: EvalHandle) {
  let modelKey = '';
  let adapterVersion = 0;
  let ctrl: AbortController | null = null;
  const [progress, setProgress] = createSignal<EvalProgress | null>(null);
  const [running, setRunning] = createSignal(false);
  const [error, setError] = createSignal<UiError | null>(null);

  async function ensureModel(): Promise<void> {
    const key = modelLoadKey(ctl.exp);
    if (key === modelKey) return;
    const spec = ctl.modelSpec();
    if (!spec) throw uerr('No model is loaded yet. Pick a model on the Experiment screen first.');
    setProgress({ phase: 'loading the model', done: 0, total: 1 });
    await handle.client.call('loadModel', spec, { signal: ctrl?.signal });
    modelKey = key;
    adapterVersion = 0;
  }

  /** Sends the session's adapter when it changed; false when there is none yet. */
  async function syncAdapter(): Promise<boolean> {
    const snap = await ctl.client().call('adapterSnapshot', { since: adapterVersion || null });
    if (snap.version === 0) return false;
    if (snap.files) {
      await handle.client.call('setAdapter', snap.files, { transfer: [snap.files.weights.buffer as ArrayBuffer] });
      adapterVersion = snap.version;
    }
    return true;
  }

  /**
   * Runs one evaluation; resolves to its result, or null when it was stopped or failed (the error is set).
   * `withAdapter` sends the session's adapter first (the judge's adapter mode needs it too). `params` may be a
   * function that gathers them (downloads test sets) under the run's progress and Stop.
   */
  async function run<K extends Method>(method: K, params: EvalApi[K]['params'] | ((signal: AbortSignal) => Promise<EvalApi[K]['params']>), o: { withAdapter: boolean; onProgress?: (p: EvalProgress) => void }): Promise<EvalApi[K]['result'] | null> {
    if (running()) return null;
    ctrl = new AbortController();
    setRunning(true);
    setError(null);
    setProgress({ phase: 'starting', done: 0, total: 1 });
    try {
      await ensureModel();
      if (o.withAdapter && !(await syncAdapter())) throw uerr('There is no adapter yet: press Start training (a few steps make one) or import one on the Export screen, or evaluate the base model.');
      const ready = typeof params === 'function' ? await params(ctrl.signal) : params;
      return await handle.client.call(method, ready, { signal: ctrl.signal, onProgress: (p: EvalProgress) => (setProgress(p), o.onProgress?.(p)) });
    } catch (e) {
      if (!isAbort(e)) setError(toUiError(e));
      if (needsRestart(e)) {
        handle.restart();
        modelKey = '';
        adapterVersion = 0;
      }
      return null;
    } finally {
      ctrl = null;
      setRunning(false);
      setProgress(null);
    }
  }

  return { run, stop: () => ctrl?.abort(), progress, running, error, setError };
}

export type EvalEngine = ReturnType<typeof createEvalEngine>;
