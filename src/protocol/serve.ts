/**
 * A worker's side of the boundary: `serveHandlers(self, table)` exposes a table of async handlers with
 * `Comlink.expose`, giving each call an AbortSignal (fired through the caller's CallLink) and a progress emitter.
 * Throws cross as `{message, details, name}` (wire.ts). A handler moves buffers by returning `Comlink.transfer(v, [...])`.
 * Not handled: calls that must run one at a time (a handler that needs that keeps its own queue).
 */
import * as Comlink from 'comlink';
import { abortError, type ApiSpec, type CallLink, type Endpoint, type Exposed } from './wire';

export interface HandlerContext<P> {
  /** Fires when the caller aborts. Long handlers check it between steps (`signal.throwIfAborted()`). */
  signal: AbortSignal;
  /** Streams one progress event to the caller (copied, never transferred). */
  progress(data: P): void;
}

export type Handler<M extends ApiSpec[string]> = (params: M['params'], ctx: HandlerContext<M['progress']>) => Promise<M['result']> | M['result'];

export type Handlers<A extends ApiSpec> = { [K in keyof A]: Handler<A[K]> };

type Link = Comlink.Remote<CallLink<unknown>>;

/** Starts answering calls on `scope` (a worker's `self`, or a MessagePort). The returned function aborts running calls. */
export function serveHandlers<A extends ApiSpec>(scope: Endpoint, table: Handlers<A>): () => void {
  const running = new Set<AbortController>();

  const method = (handler: Handler<ApiSpec[string]>) => async (params: unknown, link?: Link) => {
    const ctrl = new AbortController();
    running.add(ctrl);
    let sent: Promise<unknown> = Promise.resolve();
    link?.onAbort(Comlink.proxy(() => ctrl.abort(abortError().message))).catch(() => undefined);
    try {
      return await handler(params, {
        signal: ctrl.signal,
        progress: (data) => {
          if (link && !ctrl.signal.aborted) sent = link.progress(data).catch(() => undefined);
        },
      });
    } finally {
      running.delete(ctrl);
      // Progress and result travel on different ports, which keep no order between them: the last event must land first.
      await sent;
      link?.[Comlink.releaseProxy]();
    }
  };

  const methods = Object.fromEntries(Object.entries(table).map(([name, h]) => [name, method(h as Handler<ApiSpec[string]>)]));
  const unknown = (name: string) => () => {
    throw Object.assign(new Error(`The worker has no method '${name}'.`), { details: `known methods: ${Object.keys(methods).join(', ')}` });
  };
  const api = new Proxy(methods, { get: (t, k) => (typeof k !== 'string' || Object.hasOwn(t, k) ? t[k as string] : unknown(k)) });
  Comlink.expose(api as Exposed<A>, scope);
  return () => {
    for (const c of running) c.abort(abortError().message);
  };
}
