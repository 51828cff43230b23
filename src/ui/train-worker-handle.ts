/**
 * Starts the session worker (workers/train-worker.ts) and can restart it: after a GPU device loss or an
 * out-of-memory the old worker is terminated and a fresh one takes its place; checkpoints survive in IndexedDB.
 * The UI always reads `handle.client` anew, so a restart is invisible to callers that come later.
 */
import { createClient, type Client } from '../protocol/client';
import type { TrainApi } from '../protocol/train-api';

export type TrainClient = Client<TrainApi>;

export interface WorkerHandle {
  readonly client: TrainClient;
  /** Terminates the current worker (pending calls reject) and starts a new one. */
  restart(): void;
  /** How many times it was restarted. */
  readonly restarts: number;
}

/** The session worker; `testFaults` names it so that it accepts injected faults (worker-handlers/test-faults.ts). */
export function sessionWorker(testFaults = false): Worker {
  // Two literal forms: Vite needs static worker options to bundle the worker (both resolve to the same chunk).
  return testFaults
    ? new Worker(new URL('../../workers/train-worker.ts', import.meta.url), { type: 'module', name: 'webift-train test-faults' })
    : new Worker(new URL('../../workers/train-worker.ts', import.meta.url), { type: 'module', name: 'webift-train' });
}

export function startTrainWorker(make: () => Worker = () => sessionWorker()): WorkerHandle {
  let client = createClient<TrainApi>(make());
  let restarts = 0;
  return {
    get client() {
      return client;
    },
    get restarts() {
      return restarts;
    },
    restart() {
      client.close();
      client = createClient<TrainApi>(make());
      restarts++;
    },
  };
}
