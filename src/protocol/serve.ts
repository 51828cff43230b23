/**
 * The one handler loop for any worker: `serveHandlers(self, table)` answers `call` messages from a table of async
 * handlers, gives each an AbortSignal (fired by an `abort` message) and a progress emitter, and turns throws into
 * `{message, details}`. Results are copied unless the handler returns `withTransfer(value, buffers)`.
 * Not handled: calls that must run one at a time (a handler that needs that keeps its own queue).
 */
import { abortError, isWireMessage, toErrorData, type ApiSpec, type Endpoint, type FromWorker, type ToWorker } from './wire';

export interface HandlerContext<P> {
  /** Fires when the caller aborts. Long handlers check it between steps (`signal.throwIfAborted()`). */
  signal: AbortSignal;
  /** Streams one progress event to the caller (copied, never transferred). */
  progress(data: P): void;
}

const TRANSFER = Symbol('transfer');

/** A result together with the buffers to move (not copy) to the caller, e.g. a logits Float32Array's buffer. */
export interface Transferring<R> {
  [TRANSFER]: Transferable[];
  value: R;
}

export function withTransfer<R>(value: R, transfer: Transferable[]): Transferring<R> {
  return { [TRANSFER]: transfer, value };
}

export type Handler<M extends ApiSpec[string]> = (params: M['params'], ctx: HandlerContext<M['progress']>) => Promise<M['result'] | Transferring<M['result']>> | M['result'] | Transferring<M['result']>;

export type Handlers<A extends ApiSpec> = { [K in keyof A]: Handler<A[K]> };

function isTransferring(v: unknown): v is Transferring<unknown> {
  return typeof v === 'object' && v !== null && TRANSFER in v;
}

/** Starts answering calls on `scope` (a worker's `self`). Returns a function that stops listening. */
export function serveHandlers<A extends ApiSpec>(scope: Endpoint, table: Handlers<A>): () => void {
  const running = new Map<number, AbortController>();
  const send = (msg: FromWorker, transfer: Transferable[] = []) => scope.postMessage(msg, transfer);

  const run = async (id: number, method: string, params: unknown) => {
    const ctrl = new AbortController();
    running.set(id, ctrl);
    try {
      const handler = Object.prototype.hasOwnProperty.call(table, method) ? (table as unknown as Record<string, Handler<ApiSpec[string]>>)[method] : undefined;
      if (!handler) throw Object.assign(new Error(`The worker has no method '${method}'.`), { details: `known methods: ${Object.keys(table).join(', ')}` });
      const ctx: HandlerContext<unknown> = {
        signal: ctrl.signal,
        progress: (data) => {
          if (!ctrl.signal.aborted) send({ kind: 'progress', id, data });
        },
      };
      const out = await handler(params, ctx);
      if (ctrl.signal.aborted) return; // the caller has already rejected; do not post into the void
      if (isTransferring(out)) send({ kind: 'result', id, value: out.value }, out[TRANSFER]);
      else send({ kind: 'result', id, value: out });
    } catch (e) {
      if (ctrl.signal.aborted) return;
      try {
        send({ kind: 'error', id, error: toErrorData(e) });
      } catch (postErr) {
        send({ kind: 'error', id, error: { message: 'The worker failed and its error could not be sent.', details: String(postErr), name: 'Error' } });
      }
    } finally {
      running.delete(id);
    }
  };

  const onMessage = (ev: MessageEvent) => {
    const msg = ev.data as ToWorker;
    if (!isWireMessage(msg)) return;
    if (msg.kind === 'call') void run(msg.id, msg.method, msg.params);
    else if (msg.kind === 'abort') running.get(msg.id)?.abort(abortError().message);
  };
  scope.addEventListener('message', onMessage);
  return () => {
    scope.removeEventListener('message', onMessage);
    for (const c of running.values()) c.abort();
  };
}
