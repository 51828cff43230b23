/**
 * Starts the eval worker (workers/eval-worker.ts) on first use and can restart it after a device loss or a crash:
 * the old worker is terminated and the next call starts a fresh one, which gets the model and adapter again.
 * Callers read `handle.client` anew each time. Nothing starts at page load.
 */
import { createClient, type Client } from '../protocol/client';
import type { EvalApi } from '../protocol/eval-api';

export type EvalClient = Client<EvalApi>;

export interface EvalHandle {
  readonly client: EvalClient;
  restart(): void;
}

export function startEvalWorker(make: () => Worker = () => new Worker(new URL('../../workers/eval-worker.ts', import.meta.url), { type: 'module', name: 'webift-eval' })): EvalHandle {
  let client: EvalClient | null = null;
  return {
    get client() {
      return (client ??= createClient<EvalApi>(make()));
    },
    restart() {
      client?.close();
      client = null;
    },
  };
}
