/**
 * Starts the model worker and returns the protocol client the UI talks to. The worker module is referenced by URL
 * (Vite bundles it separately), so nothing from tfjs or src/model enters the page's own bundle.
 * Not handled: restarting a crashed worker (calls reject with a RemoteError instead).
 */
import { createClient, type Client } from '../protocol/client';
import type { ModelApi } from '../protocol/model-api';

export type ModelClient = Client<ModelApi>;

export function startModelWorker(): ModelClient {
  const worker = new Worker(new URL('../../workers/model-worker.ts', import.meta.url), { type: 'module', name: 'webift-model' });
  return createClient<ModelApi>(worker);
}
