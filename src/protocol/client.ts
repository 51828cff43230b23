/**
 * The one client for any worker: `createClient<Api>(worker).call(method, params, {signal, onProgress, transfer})`
 * returns a promise of the result, streams progress to a callback, sends `abort` when the signal fires, and rejects
 * with RemoteError ({message, details}) when the handler throws. Not handled: retries, or restarting a dead worker.
 */
import { RemoteError, abortError, isWireMessage, type ApiSpec, type CallMsg, type Endpoint, type ErrorData, type FromWorker } from './wire';

export interface CallOptions<P> {
  /** Aborting sends `{kind: 'abort'}` to the worker and rejects the call at once with an AbortError. */
  signal?: AbortSignal;
  /** Called for every progress event the handler emits, in order, before the result. */
  onProgress?: (data: P) => void;
  /** Buffers in `params` to move, not copy (they become unusable here). */
  transfer?: Transferable[];
}

export interface Client<A extends ApiSpec> {
  call<K extends keyof A & string>(method: K, params: A[K]['params'], opts?: CallOptions<A[K]['progress']>): Promise<A[K]['result']>;
  /** Calls in flight. */
  pending(): number;
  /** Rejects every pending call and stops listening; terminates the worker when it is one. */
  close(): void;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  onProgress?: (data: unknown) => void;
  cleanup(): void;
}

/** `worker` is a Worker (or any Endpoint, e.g. a MessagePort). Worker crashes reject every pending call. */
export function createClient<A extends ApiSpec>(worker: Endpoint): Client<A> {
  let nextId = 1;
  const pending = new Map<number, Pending>();

  const settle = (id: number, fn: (p: Pending) => void) => {
    const p = pending.get(id);
    if (!p) return; // already aborted or settled: late messages are dropped
    pending.delete(id);
    p.cleanup();
    fn(p);
  };

  const failAll = (data: ErrorData) => {
    for (const id of [...pending.keys()]) settle(id, (p) => p.reject(new RemoteError(data)));
  };

  const onMessage = (ev: MessageEvent) => {
    const msg = ev.data as FromWorker;
    if (!isWireMessage(msg)) return;
    if (msg.kind === 'progress') pending.get(msg.id)?.onProgress?.(msg.data);
    else if (msg.kind === 'result') settle(msg.id, (p) => p.resolve(msg.value));
    else if (msg.kind === 'error') settle(msg.id, (p) => p.reject(new RemoteError(msg.error)));
  };

  // A script error in the worker (failed import, uncaught throw at top level) would otherwise hang every call.
  const onError = (ev: Event) => {
    const e = ev as ErrorEvent;
    failAll({ message: 'The background worker stopped with an error.', details: e.message ? `${e.message} (${e.filename}:${e.lineno})` : 'no details', name: 'WorkerError' });
  };
  const onMessageError = () => failAll({ message: 'A message from the worker could not be read.', details: 'messageerror', name: 'WorkerError' });

  worker.addEventListener('message', onMessage);
  const target = worker as unknown as EventTarget;
  target.addEventListener('error', onError);
  target.addEventListener('messageerror', onMessageError);

  return {
    call(method, params, opts = {}) {
      const id = nextId++;
      const { signal, onProgress, transfer = [] } = opts;
      return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(new RemoteError(abortError()));
        const onAbort = () => {
          settle(id, (p) => p.reject(new RemoteError(abortError())));
          worker.postMessage({ kind: 'abort', id }, []);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        pending.set(id, {
          resolve: resolve as (v: unknown) => void,
          reject,
          onProgress: onProgress as ((d: unknown) => void) | undefined,
          cleanup: () => signal?.removeEventListener('abort', onAbort),
        });
        const msg: CallMsg = { kind: 'call', id, method, params };
        try {
          worker.postMessage(msg, transfer);
        } catch (e) {
          // DataCloneError: params held something that is not plain data.
          settle(id, (p) => p.reject(new RemoteError({ message: `Could not send '${method}' to the worker.`, details: String(e), name: 'DataCloneError' })));
        }
      });
    },
    pending: () => pending.size,
    close() {
      failAll({ message: 'The worker was closed.', details: '', name: 'AbortError' });
      worker.removeEventListener('message', onMessage);
      target.removeEventListener('error', onError);
      target.removeEventListener('messageerror', onMessageError);
      (worker as { terminate?: () => void }).terminate?.();
    },
  };
}
