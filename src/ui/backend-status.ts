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

/** platform/ joins "CPU (wasm)" and the reasons with "; ". The header wants "CPU (wasm): WebGPU not available …". */
export function backendLine(choice: BackendChoice): string {
  if (choice.name === 'webgpu') return choice.reason;
  const i = choice.reason.indexOf('; ');
  return i < 0 ? choice.reason : `${choice.reason.slice(0, i)}: ${choice.reason.slice(i + 2)}`;
}

export function createBackendStatus(client: ModelClient): Accessor<BackendStatus> {
  const [status, setStatus] = createSignal<BackendStatus>({ state: 'starting' });
  client.call('backend', {}).then(
    (choice) => setStatus({ state: 'ready', choice, line: backendLine(choice) }),
    (e: Error & { details?: string }) => setStatus({ state: 'failed', message: e.message, details: e.details ?? '' }),
  );
  return status;
}
