/**
 * The worker boundary on the wire: a message union keyed by `kind` and correlated by `id`, the method-table types
 * that client.ts and serve.ts share, and errors as plain `{message, details}` data. Plain data and transferables only.
 * Not here: any method of a particular worker (see model-api.ts). Shape after web-llm's message.ts.
 */

/** One method of a worker API: what goes in, what comes back, what it streams while it runs. */
export interface MethodSpec {
  params: unknown;
  result: unknown;
  progress: unknown;
}

/** A worker API: method name -> spec. Declare it as a `type` (interfaces have no index signature). */
export type ApiSpec = Record<string, MethodSpec>;

/** The error shape that crosses the boundary. `details` is for a "Show details" box, never the main message. */
export interface ErrorData {
  /** One or two sentences a user can act on. */
  message: string;
  /** Error class name, stack, or other technical context; may be ''. */
  details: string;
  /** The original error's name ('CheckpointError', 'AbortError', ...). */
  name: string;
}

export type CallMsg = { kind: 'call'; id: number; method: string; params: unknown };
export type AbortMsg = { kind: 'abort'; id: number };
export type ProgressMsg = { kind: 'progress'; id: number; data: unknown };
export type ResultMsg = { kind: 'result'; id: number; value: unknown };
export type ErrorMsg = { kind: 'error'; id: number; error: ErrorData };

/** Page -> worker. */
export type ToWorker = CallMsg | AbortMsg;
/** Worker -> page. */
export type FromWorker = ProgressMsg | ResultMsg | ErrorMsg;

/** What both a Worker and a worker's global scope (and a MessagePort) offer. */
export interface Endpoint {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
}

/** An error thrown on the other side, rebuilt here with its message and details. */
export class RemoteError extends Error {
  readonly details: string;
  readonly remoteName: string;
  constructor(data: ErrorData) {
    super(data.message);
    this.name = data.name === 'AbortError' ? 'AbortError' : 'RemoteError';
    this.remoteName = data.name;
    this.details = data.details;
  }
}

/** Turns anything thrown into ErrorData. A thrown object with `details` keeps them. */
export function toErrorData(e: unknown): ErrorData {
  if (e instanceof Error) {
    const extra = (e as { details?: unknown }).details;
    const details = typeof extra === 'string' ? extra : `${e.name}: ${e.message}${e.stack ? `\n${e.stack}` : ''}`;
    return { message: e.message || e.name, details, name: e.name };
  }
  if (typeof e === 'string') return { message: e, details: '', name: 'Error' };
  let text = '';
  try {
    text = JSON.stringify(e);
  } catch {
    text = String(e);
  }
  return { message: 'The worker failed with a non-Error value.', details: text, name: 'Error' };
}

/** True when the value is one of our wire messages (other libraries may post on the same endpoint). */
export function isWireMessage(v: unknown): v is ToWorker | FromWorker {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as { kind?: unknown; id?: unknown };
  return typeof m.id === 'number' && ['call', 'abort', 'progress', 'result', 'error'].includes(m.kind as string);
}

export function abortError(message = 'The operation was cancelled.'): ErrorData {
  return { message, details: '', name: 'AbortError' };
}
