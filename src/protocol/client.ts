/**
 * The page's side of the boundary: `createClient<Api>(worker)` wraps a worker (or a MessagePort) with `Comlink.wrap`,
 * and `.call(method, params, {signal, onProgress, transfer})` lends the worker a CallLink (`Comlink.proxy`) for
 * progress and abort, moves `transfer` with `Comlink.transfer`, and rejects at once on abort, on a worker crash and on
 * close (comlink alone would wait forever). Errors arrive as RemoteError (wire.ts). Not handled: retries, restarts.
 */
import * as Comlink from 'comlink';
import { RemoteError, abortError, type ApiSpec, type CallLink, type Endpoint, type ErrorData, type Exposed } from './wire';

export interface CallOptions<P> {
  /** Aborting tells the worker (its handler's signal fires) and rejects the call at once with an AbortError. */
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
  /** Rejects every pending call and releases the worker; terminates it when it is one. */
  close(): void;
}

type RemoteFn = (params: unknown, link?: CallLink<unknown>) => Promise<unknown>;

/** The CallLink of one call; comlink runs its finalizer when the worker releases it at the end of the call. */
function callLink(signal: AbortSignal | undefined, onProgress: ((data: unknown) => void) | undefined): CallLink<unknown> {
  let listener: Comlink.Remote<() => void> | null = null;
  const fire = () => void listener?.().catch(() => undefined);
  return Comlink.proxy({
    progress: (data: unknown) => {
      if (!signal?.aborted) onProgress?.(data);
    },
    onAbort(l: () => void) {
      listener = l as unknown as Comlink.Remote<() => void>;
      if (signal?.aborted) fire();
      else signal?.addEventListener('abort', fire, { once: true });
    },
    [Comlink.finalizer]() {
      signal?.removeEventListener('abort', fire);
      listener?.[Comlink.releaseProxy]();
    },
  });
}

/** `worker` is a Worker (or any Endpoint, e.g. a MessagePort). Worker crashes reject every pending call. */
export function createClient<A extends ApiSpec>(worker: Endpoint): Client<A> {
  const remote = Comlink.wrap<Exposed<A>>(worker) as unknown as Record<string, RemoteFn> & Comlink.ProxyMethods;
  const pending = new Set<(e: RemoteError) => void>();
  const failAll = (data: ErrorData) => {
    for (const fail of [...pending]) fail(new RemoteError(data));
  };

  // A script error in the worker (failed import, uncaught throw at top level) would otherwise hang every call.
  const onError = (ev: Event) => {
    const e = ev as ErrorEvent;
    failAll({ message: 'The background worker stopped with an error.', details: e.message ? `${e.message} (${e.filename}:${e.lineno})` : 'no details', name: 'WorkerError' });
  };
  const onMessageError = () => failAll({ message: 'A message from the worker could not be read.', details: 'messageerror', name: 'WorkerError' });
  worker.addEventListener('error', onError);
  worker.addEventListener('messageerror', onMessageError);

  return {
    call(method, params, opts = {}) {
      const { signal, onProgress, transfer = [] } = opts;
      return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(new RemoteError(abortError()));
        const done = () => {
          pending.delete(fail);
          signal?.removeEventListener('abort', onAbort);
        };
        const fail = (e: unknown) => (done(), reject(e));
        const onAbort = () => fail(new RemoteError(abortError()));
        pending.add(fail);
        signal?.addEventListener('abort', onAbort, { once: true });
        const link = signal || onProgress ? callLink(signal, onProgress as ((d: unknown) => void) | undefined) : undefined;
        try {
          remote[method](transfer.length ? Comlink.transfer(params, transfer) : params, link).then(
            (value) => (done(), resolve(value as A[typeof method]['result'])),
            // DataCloneError: params held something that is not plain data.
            (e: Error) => fail(e?.name === 'DataCloneError' ? new RemoteError({ message: `Could not send '${method}' to the worker.`, details: String(e), name: 'DataCloneError' }) : e),
          );
        } catch (e) {
          fail(e); // a released client (after close)
        }
      });
    },
    pending: () => pending.size,
    close() {
      failAll({ message: 'The worker was closed.', details: '', name: 'AbortError' });
      worker.removeEventListener('error', onError);
      worker.removeEventListener('messageerror', onMessageError);
      remote[Comlink.releaseProxy]();
      (worker as { terminate?: () => void }).terminate?.();
    },
  };
}
