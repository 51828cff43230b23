/**
 * The worker boundary's shared shapes on comlink: the method-table types of a worker API, the object a worker
 * exposes (`Comlink.expose`) and the page wraps (`Comlink.wrap`), the per-call link that carries progress and abort
 * (a `Comlink.proxy`), and errors as plain `{message, details, name}` through comlink's 'throw' transfer handler.
 * Plain data and transferables only. Not here: any method of a particular worker (see *-api.ts).
 */
import * as Comlink from 'comlink';

export type { Endpoint } from 'comlink';

/** One method of a worker API: what goes in, what comes back, what it streams while it runs. */
export interface MethodSpec {
  params: unknown;
  result: unknown;
  progress: unknown;
}

/** A worker API: method name -> spec. Declare it as a `type` (interfaces have no index signature). */
export type ApiSpec = Record<string, MethodSpec>;

/**
 * What the caller lends the worker for one call, as a `Comlink.proxy`: a sink for progress events and a way to hear
 * the caller's abort. The worker passes `onAbort` a `Comlink.proxy`ed listener, called once (at once if already aborted).
 */
export interface CallLink<P> {
  progress(data: P): void;
  onAbort(listener: () => void): void;
}

/** The object a worker exposes for API `A`, as the worker sees its arguments: one method per entry. */
export type Exposed<A extends ApiSpec> = {
  [K in keyof A]: (params: A[K]['params'], link?: Comlink.Remote<CallLink<A[K]['progress']>>) => Promise<A[K]['result']>;
};

/** The error shape that crosses the boundary. `details` is for a "Show details" box, never the main message. */
export interface ErrorData {
  /** One or two sentences a user can act on. */
  message: string;
  /** Error class name, stack, or other technical context; may be ''. */
  details: string;
  /** The original error's name ('CheckpointError', 'AbortError', ...). */
  name: string;
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

export function abortError(message = 'The operation was cancelled.'): ErrorData {
  return { message, details: '', name: 'AbortError' };
}

// comlink's own 'throw' handler keeps only message, name and stack; ours sends ErrorData and throws a RemoteError.
// It must be registered on both sides: the worker serializes with it, the page deserializes. Re-registering is a no-op.
const isThrown = Comlink.transferHandlers.get('throw')!.canHandle;
Comlink.transferHandlers.set('throw', {
  canHandle: isThrown,
  serialize: (thrown) => [toErrorData((thrown as { value: unknown }).value), []],
  deserialize: (data) => {
    throw new RemoteError(data as ErrorData);
  },
} satisfies Comlink.TransferHandler<unknown, ErrorData>);
