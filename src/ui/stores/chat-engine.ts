/**
 * Where chat replies come from: the generate worker (generate-worker-handle.ts), kept in step with the session.
 * Before a reply it loads the session's model there (once per model), and for the adapter side it asks the session
 * worker for the adapter's PEFT bytes (adapterSnapshot, only when they changed) and hands them over as slot
 * 'current'; a second adapter to compare (pinned or loaded from files) is slot 'compare'. A device loss or crash
 * restarts the generate worker and everything is sent again on the next reply. Never touches tensors.
 */
import { createSignal } from 'solid-js';
import type { AdapterBytes, ChatParams, GenerateResult } from '../../protocol/generate-api';
import { modelLoadKey, type Controller } from './controller';
import type { GenerateHandle } from '../generate-worker-handle';
import { needsRestart } from './errors';

/** Which weights answer: the base model, the session's adapter, or the adapter kept for comparison. */
export type ReplyWith = 'base' | 'current' | 'compare';

export interface ReplyRequest {
  with: ReplyWith;
  messages: ChatParams['messages'];
  options: Record<string, unknown>;
  signal?: AbortSignal;
  onDelta?: (text: string) => void;
}

const uerr = (message: string) => Object.assign(new Error(message), { details: '' });
/** Marks an error of the session worker: the controller handles it (and restarts that worker if it must). */
const fromSession = (e: unknown): never => {
  throw Object.assign(e as object, { fromSession: true });
};

export function createChatEngine(ctl: Pick<Controller, 'client' | 'modelSpec' | 'exp' | 'fail'>, gen: GenerateHandle) {
  let modelKey = '';
  let modelLoad: { key: string; done: Promise<void> } | null = null;
  let currentVersion = 0;
  let currentSync: Promise<void> | null = null;
  let compare: { label: string; files: AdapterBytes } | null = null;
  let compareLoaded: Promise<void> | null = null;
  const [adapterStep, setAdapterStep] = createSignal<number | null>(null);
  const [compareLabel, setCompareLabel] = createSignal<string | null>(null);

  function forget(): void {
    modelKey = '';
    modelLoad = null;
    currentVersion = 0;
    currentSync = null;
    compareLoaded = null;
  }

  async function ensureModel(): Promise<void> {
    const key = modelLoadKey(ctl.exp);
    while (modelLoad && modelLoad.key !== key) await modelLoad.done.catch(() => undefined);
    if (key === modelKey) return;
    if (modelLoad) return modelLoad.done;
    const spec = ctl.modelSpec();
    if (!spec) throw uerr('No model is loaded yet. Pick a model on the Experiment screen first.');
    const done = gen.client.call('loadModel', spec).then(() => {
      modelKey = key;
      currentVersion = 0;
      compareLoaded = null;
    });
    modelLoad = { key, done: done.finally(() => (modelLoad = null)) };
    return modelLoad.done;
  }

  /** Sends the session's adapter when it changed since the last send; one sync at a time. */
  function syncCurrent(): Promise<void> {
    currentSync ??= (async () => {
      const snap = await ctl.client().call('adapterSnapshot', { since: currentVersion || null }).catch(fromSession);
      if (snap.version === 0) throw uerr('There is no adapter yet: press Start training (a few steps make one) or import one on the Export screen.');
      if (snap.files) {
        await gen.client.call('setAdapter', { slot: 'current', ...snap.files }, { transfer: [snap.files.weights.buffer as ArrayBuffer] });
        currentVersion = snap.version;
      }
      setAdapterStep(snap.step);
    })().finally(() => (currentSync = null));
    return currentSync;
  }

  function ensureCompare(): Promise<void> {
    if (!compare) return Promise.reject(uerr('No adapter is kept for comparison yet: pin the current adapter or load one from files.'));
    const c = compare;
    compareLoaded ??= gen.client.call('setAdapter', { slot: 'compare', config: c.files.config, weights: c.files.weights.slice() }).then(() => undefined);
    compareLoaded.catch(() => (compareLoaded = null));
    return compareLoaded;
  }

  async function reply(r: ReplyRequest): Promise<GenerateResult> {
    try {
      await ensureModel();
      if (r.with === 'current') await syncCurrent();
      if (r.with === 'compare') await ensureCompare();
      return await gen.client.call('generate', { messages: r.messages, adapter: r.with === 'base' ? null : r.with, options: r.options }, {
        signal: r.signal,
        onProgress: (d) => r.onDelta?.(d.text),
      });
    } catch (e) {
      if ((e as { fromSession?: boolean }).fromSession) {
        if (needsRestart(e)) ctl.fail(e); // the controller restarts the session worker
      } else if (needsRestart(e)) {
        gen.restart();
        forget();
      }
      throw e;
    }
  }

  /** Keeps the session's adapter as it is now for comparison ('compare'), labelled by its step. */
  async function pinCurrent(): Promise<string> {
    const snap = await ctl.client().call('adapterSnapshot', { since: null }).catch(fromSession);
    if (!snap.files) throw uerr('There is no adapter to keep yet: press Start training or import one.');
    return setCompare(snap.files, snap.step === null ? 'the imported adapter' : `step ${snap.step}`);
  }

  function setCompare(files: AdapterBytes, label: string): string {
    compare = { label, files };
    compareLoaded = null;
    setCompareLabel(label);
    return label;
  }

  return { reply, pinCurrent, setCompare, adapterStep, compareLabel, restarts: () => gen.restarts };
}

export type ChatEngine = ReturnType<typeof createChatEngine>;
