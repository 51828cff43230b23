/**
 * `window.__webift`: a small hook for the Playwright suite (tests/e2e), and handy in devtools. It only wraps the
 * model client the app already has, converting base64 and number arrays to the protocol's buffers so a test can
 * drive it from `page.evaluate`. It adds no capability the app lacks. Not a public API: it may change any time.
 */
import type { ModelClient } from './model-client';
import type { Controller } from './stores/controller';
import type { BackendChoice, LogitsResult, ModelSummary } from '../protocol/model-api';
import type { TestFaultKind } from '../protocol/train-api';

export interface WebiftTestHook {
  /** The raw protocol client, for tests of progress, abort and errors (the model worker starts on first use). */
  readonly client: ModelClient;
  /** The app's experiment as plain JSON, and the run phase: what a test compares after opening a share link. */
  experiment(): unknown;
  phase(): string;
  backend(): Promise<BackendChoice>;
  /** Loads a checkpoint from files given as base64 strings (as a test reads them in Node). */
  loadModel(files: { name: string; base64: string }[], label?: string): Promise<ModelSummary>;
  /** Loads a checkpoint the worker fetches from `${baseUrl}/${name}`. */
  loadModelFromUrl(baseUrl: string, label?: string): Promise<ModelSummary>;
  /** Loads a hub repo through the worker's Cache-API-backed hub source; resolves with the progress events seen. */
  loadModelFromHub(hub: { repo: string; revision?: string; host?: string }): Promise<{ summary: ModelSummary; progress: number }>;
  /** Full logits for plain-array inputs; logits come back as a plain array. */
  logits(p: { ids: number[]; B: number; T: number; attentionMask?: number[]; positionIds?: number[] }): Promise<Omit<LogitsResult, 'logits'> & { logits: number[] }>;
  /** Arms a fault in the session worker; only a page opened with `__webiftTestFaults` (testFaultsRequested) has it. */
  injectFault(kind: TestFaultKind): Promise<boolean>;
}

declare global {
  interface Window {
    __webift?: WebiftTestHook;
    /** Set by a test (page.addInitScript) BEFORE the app loads: start the session worker with fault injection on. */
    __webiftTestFaults?: boolean;
  }
}

function fromBase64(s: string): ArrayBuffer {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

export function installTestHook(getClient: () => ModelClient, ctl: Controller): void {
  const i32 = (a?: number[]) => (a ? Int32Array.from(a) : undefined);
  window.__webift = {
    get client() {
      return getClient();
    },
    experiment: () => JSON.parse(JSON.stringify(ctl.exp)),
    phase: () => ctl.run.phase,
    backend: () => getClient().call('backend', {}),
    loadModel(files, label) {
      const decoded = files.map((f) => ({ name: f.name, bytes: fromBase64(f.base64) }));
      return getClient().call('loadModel', { files: decoded, label }, { transfer: decoded.map((f) => f.bytes) });
    },
    loadModelFromUrl: (baseUrl, label) => getClient().call('loadModel', { baseUrl, label }),
    async loadModelFromHub(hub) {
      let progress = 0;
      const summary = await getClient().call('loadModel', { hub }, { onProgress: () => progress++ });
      return { summary, progress };
    },
    injectFault: (kind) => ctl.client().call('testFault', { kind }),
    async logits(p) {
      const ids = Int32Array.from(p.ids);
      const r = await getClient().call('logits', { ids, B: p.B, T: p.T, attentionMask: i32(p.attentionMask), positionIds: i32(p.positionIds) });
      return { ...r, logits: Array.from(r.logits) };
    },
  };
}

/** Whether a test asked for fault injection (tests/e2e/faults.spec.ts); never true for a user's page. */
export function testFaultsRequested(): boolean {
  return window.__webiftTestFaults === true;
}
