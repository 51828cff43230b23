/**
 * Starts the generate worker (workers/generate-worker.ts) and can restart it after a device loss, an out-of-memory
 * or a crash: the old worker is terminated, a fresh one takes its place, and whoever uses it loads the model and
 * adapters again. Callers read `handle.client` anew each time. The worker starts on first use, not at page open.
 */
import { createClient, type Client } from '../protocol/client';
import type { GenerateApi } from '../protocol/generate-api';

export type GenerateClient = Client<GenerateApi>;

export interface GenerateHandle {
  readonly client: GenerateClient;
  restart(): void;
  readonly restarts: number;
}

export function startGenerateWorker(make: () => Worker = () => new Worker(new URL('../../workers/generate-worker.ts', import.meta.url), { type: 'module', name: 'webift-generate' })): GenerateHandle {
  let client: GenerateClient | null = null;
  let restarts = 0;
  return {
    get client() {
      return (client ??= createClient<GenerateApi>(make()));
    },
    get restarts() {
      return restarts;
    },
    restart() {
      client?.close();
      client = null;
      restarts++;
    },
  };
}
