/**
 * The backend line as UI state: asks the worker which backend it chose and turns the answer into the one line the
 * header shows ("WebGPU: <adapter>" or "CPU (wasm): WebGPU not available because …"). No tensors, no tfjs.
 */
import { createSignal, type Accessor } from 'solid-js';
import type { ModelClient } from './model-client';
import type { BackendChoice } from '../protocol/model-api';

export type BackendStatus =
  | { state: 'starting' }
  | { state: 'ready'; choice: BackendChoice; line: string }
  | { state: 'failed'; message: string; details: string };

/** platform/ already words it as the header wants: "WebGPU: <adapter>" or "CPU (wasm): WebGPU not available because …". */
export function backendLine(choice: BackendChoice): string {
  return choice.reason;
}

export function createBackendStatus(client: ModelClient): Accessor<BackendStatus> {
  const [status, setStatus] = createSignal<BackendStatus>({ state: 'starting' });
  client.call('backend', {}).then(
    (choice) => setStatus({ state: 'ready', choice, line: backendLine(choice) }),
    (e: Error & { details?: string }) => setStatus({ state: 'failed', message: e.message, details: e.details ?? '' }),
  );
  return status;
}
