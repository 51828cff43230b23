/**
 * The app's state and verbs in one place: the experiment being edited, the model and data the worker holds for it,
 * the training run folded from TrainEvents, the resume offer after a reload, and errors. Components read the stores
 * and call the verbs; only this file (and chat-store.ts, actions.ts) talks to the worker. Never touches tensors.
 */
import { batch, createSignal } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import { defaultExperiment, trainOverrides, EMBEDDED_DATA_INDEX, type Experiment } from '../../experiment/experiment';
import { validateExperiment } from '../../experiment/validate';
import type { DataSourceSpec, DataSummary, EstimateResult, ModelInfo, ModelSpec, QuantizeSpec, ResumableRun } from '../../protocol/train-api';
import type { WorkerHandle } from '../train-worker-handle';
import { applyEvent, initialRun, type RunState, type UiError } from './run-state';
import { defaultMix, parseDataIndex, type IndexEntry } from './data-index';
import { isAbort, needsRestart, toUiError } from './errors';

export type ModelStatus =
  | { state: 'none' }
  | { state: 'loading'; file: string; loaded: number; total: number | null }
  | { state: 'ready'; info: ModelInfo }
  | { state: 'missing'; message: string }
  | { state: 'failed'; error: UiError };

/** The experiment's quantization as the workers load it: absent for f32 (a group size alone changes nothing). */
export function quantizeOf(exp: Experiment): QuantizeSpec | undefined {
  const q = exp.quantize;
  return q && q.mode !== 'none' ? { mode: q.mode, groupSize: q.groupSize, symmetric: q.symmetric } : undefined;
}

/** What a worker's loaded model is keyed by: the model and its quantization (either changing means a reload). */
export function modelLoadKey(exp: Experiment): string {
  return JSON.stringify([exp.model, quantizeOf(exp) ?? null]);
}

export interface Deps {
  handle: WorkerHandle;
  /** Injected for tests; default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Page origin for worker URLs, e.g. location.origin. */
  origin: string;
  /** Reads stored (pulled, filtered) sources of the mix into `texts` by name; see stores/stored-sources.ts. */
  resolveStored?: (data: Experiment['data'], texts: Map<string, string>) => Promise<unknown>;
}

export function createController(deps: Deps) {
  const doFetch = deps.fetch ?? ((u: RequestInfo | URL, i?: RequestInit) => fetch(u, i));
  const [exp, setExp] = createStore<Experiment>(defaultExperiment());
  const [run, setRun] = createStore<RunState>(initialRun());
  const [model, setModel] = createSignal<ModelStatus>({ state: 'none' });
  const [data, setData] = createSignal<DataSummary | null>(null);
  const [index, setIndex] = createSignal<IndexEntry[]>([]);
  const [resumeOffer, setResumeOffer] = createSignal<ResumableRun | null>(null);
  const [estimate, setEstimate] = createSignal<EstimateResult | null>(null);
  const [error, setError] = createSignal<UiError | null>(null);
  /** Texts of dropped data files by name (never part of a link). */
  const dropped = new Map<string, string>();
  let modelKey = '', dataKey = '';
  let droppedModel: ModelSpec | null = null;

  const client = () => deps.handle.client;
  const abs = (u: string) => (/^https?:/.test(u) ? u : new URL(u, deps.origin).href);

  function fail(e: unknown, context = ''): void {
    if (isAbort(e)) return;
    const ui = toUiError(e, context);
    if (needsRestart(e)) {
      deps.handle.restart();
      modelKey = dataKey = '';
      setModel({ state: 'none' });
      void refreshResumable();
    }
    setError(ui);
  }

  function modelSpec(): ModelSpec | null {
    const m = exp.model;
    const quantize = quantizeOf(exp);
    if (m.kind === 'url') return { baseUrl: abs(m.url), label: m.label, quantize };
    if (m.kind === 'hub') return { hub: { repo: m.repo, revision: m.revision }, label: m.repo, quantize };
    return droppedModel && { ...droppedModel, quantize };
  }

  /**
   * One load at a time: a caller first waits for the load in flight, then loads again only if the experiment now
   * asks for something else (a resume can change the cutoff while the page-open load still runs).
   */
  let modelLoading: Promise<ModelInfo | null> | null = null;
  let dataLoading: Promise<DataSummary | null> | null = null;
  async function ensureModel(): Promise<ModelInfo | null> {
    while (modelLoading) await modelLoading.catch(() => null);
    modelLoading = loadModelOnce().finally(() => (modelLoading = null));
    return modelLoading;
  }
  async function ensureData(): Promise<DataSummary | null> {
    while (dataLoading) await dataLoading.catch(() => null);
    dataLoading = prepareDataOnce().finally(() => (dataLoading = null));
    return dataLoading;
  }

  async function loadModelOnce(): Promise<ModelInfo | null> {
    const key = modelLoadKey(exp);
    const cur = model();
    if (key === modelKey && cur.state === 'ready') return cur.info;
    const spec = modelSpec();
    if (!spec) {
      setModel({ state: 'missing', message: `The model '${exp.model.kind === 'local' ? exp.model.label : ''}' was files on someone's disk; drop the model folder's files here to use it.` });
      return null;
    }
    if ('baseUrl' in spec) {
      const probe = await doFetch(new URL('config.json', spec.baseUrl.endsWith('/') ? spec.baseUrl : `${spec.baseUrl}/`).href, { method: 'HEAD' }).catch(() => null);
      const html = /text\/html/i.test(probe?.headers.get('content-type') ?? '');
      if (!probe || !probe.ok || html) {
        setModel({ state: 'missing', message: `The model at ${exp.model.kind === 'url' ? exp.model.url : spec.baseUrl} is not here (no config.json). Pick another model below: a hub repo id, or drop a model folder's files.` });
        return null;
      }
    }
    setRun('phase', 'loading-model');
    setModel({ state: 'loading', file: '', loaded: 0, total: null });
    try {
      const info = await client().call('loadModel', spec, { onProgress: (p) => setModel({ state: 'loading', ...p }) });
      modelKey = key;
      dataKey = '';
      setModel({ state: 'ready', info });
      return info;
    } catch (e) {
      setModel({ state: 'failed', error: toUiError(e) });
      fail(e);
      return null;
    } finally {
      if (run.phase === 'loading-model') setRun('phase', 'idle');
    }
  }

  async function prepareDataOnce(): Promise<DataSummary | null> {
    if (deps.resolveStored && !(await deps.resolveStored(exp.data, dropped).then(() => true, (e) => (fail(e), false)))) return null;
    const sources: DataSourceSpec[] = exp.data.map((d) => (d.url ? { name: d.name, weight: d.weight, url: abs(d.url) } : { name: d.name, weight: d.weight, text: dropped.get(d.name) ?? '' }));
    const key = JSON.stringify([modelKey, sources.map((s) => [s.name, s.url, s.weight]), exp.train.cutoffLen, exp.train.promptFormat, exp.train.trainOnInputs]);
    if (key === dataKey && data()) return data();
    setRun('phase', 'preparing-data');
    try {
      const summary = await client().call('prepareData', { sources, cutoffLen: exp.train.cutoffLen, promptFormat: exp.train.promptFormat, trainOnInputs: exp.train.trainOnInputs });
      dataKey = key;
      setData(summary);
      return summary;
    } catch (e) {
      fail(e);
      return null;
    } finally {
      if (run.phase === 'preparing-data') setRun('phase', 'idle');
    }
  }

  async function refreshEstimate(): Promise<void> {
    if (model().state !== 'ready') return;
    try {
      setEstimate(await client().call('estimate', { peft: { ...exp.peft, targetModules: [...exp.peft.targetModules] }, config: trainOverrides(exp.train) }));
    } catch (e) {
      setEstimate(null);
      if (!isAbort(e)) setError(toUiError(e));
    }
  }

  /**
   * The model panel's "Quantize base" and "Group size": the model reloads quantized (or f32) with the usual progress,
   * the data is tokenized again for it, and the memory estimate is asked again.
   */
  async function setQuantize(q: QuantizeSpec): Promise<void> {
    setExp('quantize', { ...q });
    setEstimate(null);
    if ((await ensureModel()) && (await ensureData())) await refreshEstimate();
  }

  async function refreshResumable(): Promise<void> {
    const r = await client().call('resumable', {}).catch(() => null);
    setResumeOffer(r && run.phase !== 'training' ? r : null);
  }

  async function start(resume = false): Promise<void> {
    // A model or data load in flight is awaited below (ensure* share it); only a running train refuses.
    if (run.phase === 'training' || run.phase === 'stopping') return;
    setError(null);
    setResumeOffer(null);
    if (!(await ensureModel()) || !(await ensureData())) return;
    void refreshEstimate();
    setRun(reconcile({ ...initialRun(), phase: 'training', note: resume ? 'Resuming…' : 'Starting…' }));
    try {
      await client().call('train', { peft: { ...exp.peft, targetModules: [...exp.peft.targetModules] }, config: trainOverrides(exp.train), resume, experimentJson: JSON.stringify(exp) }, {
        onProgress: (e) => setRun(reconcile(applyEvent(run, e))),
      });
      // A run that ended on an error event (storage full, NaN): say it, and offer to resume from the kept checkpoint.
      if (run.error) {
        setError(run.error);
        void refreshResumable();
      }
    } catch (e) {
      setRun({ phase: 'failed', note: 'Training stopped: see the message above.' });
      fail(e);
    }
  }

  /** Restores the experiment the offer was made for (validated), then resumes from its last checkpoint. */
  async function resume(): Promise<void> {
    const offer = resumeOffer();
    if (offer?.experimentJson) {
      const v = validateExperiment(JSON.parse(offer.experimentJson));
      if (!v.ok) {
        setError({ message: `The saved run's settings are not valid (${v.errors[0]}), so it cannot resume. Start a new run.`, details: v.errors.join('\n') });
        return;
      }
      setExp(reconcile(v.value));
    }
    await start(true);
  }

  async function stop(): Promise<void> {
    if (run.phase !== 'training') return;
    setRun({ phase: 'stopping', note: 'Stopping after this step and saving a checkpoint…' });
    await client().call('stopTraining', {}).catch((e) => fail(e));
  }

  async function loadIndex(): Promise<void> {
    try {
      const res = await doFetch(abs(EMBEDDED_DATA_INDEX));
      if (!res.ok || /text\/html/i.test(res.headers.get('content-type') ?? '')) throw new Error(`${EMBEDDED_DATA_INDEX}: ${res.status}`);
      const entries = parseDataIndex(await res.json(), abs(EMBEDDED_DATA_INDEX));
      setIndex(entries);
      if (!exp.data.length) setExp('data', defaultMix(entries));
    } catch (e) {
      if (!exp.data.length) setError({ message: 'The embedded data is not here, so the default mix is empty. Drop a JSON, JSONL or CSV file of instruction records on the Data screen.', details: String(e) });
    }
  }

  /** Replaces the whole experiment (a preset, a link): validated, all or nothing. */
  function replaceExperiment(x: unknown): string | null {
    const v = validateExperiment(x);
    if (!v.ok) return v.errors[0];
    batch(() => {
      setExp(reconcile(v.value));
      setEstimate(null);
    });
    return null;
  }

  return {
    exp, setExp, run, setRun, model, data, index, resumeOffer, setResumeOffer, estimate, error, setError, dropped,
    client, fail, modelSpec, ensureModel, ensureData, refreshEstimate, setQuantize, refreshResumable, start, resume, stop, loadIndex, replaceExperiment,
    setDroppedModel(files: ModelSpec | null) {
      droppedModel = files;
    },
    invalidateData() {
      dataKey = '';
    },
  };
}

export type Controller = ReturnType<typeof createController>;
