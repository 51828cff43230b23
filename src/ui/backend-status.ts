/**
 * The backend line as UI state: asks the worker which backend it chose and turns the answer into the one line the
 * header shows ("WebGPU: <adapter>" or "CPU (wasm): WebGPU not available because …"). No tensors, no tfjs.
 */
import { createSignal, type Accessor } from 'solid-js';
import type { BackendChoice } from '../protocol/model-api';

export type BackendStatus =
  | { state: 'starting' }
  | { state: 'ready'; choice: BackendChoice; line: string }
  | { state: 'failed'; message: string; details: string };

/** platform/ already words it as the header wants: "WebGPU: <adapter>" or "CPU (wasm): WebGPU not available because …". */
export function backendLine(choice: BackendChoice): string {
  return choice.reason;
}

/** `ask` is any worker's `backend` call. */
export function createBackendStatus(ask: () => Promise<BackendChoice>): Accessor<BackendStatus> {
  const [status, setStatus] = createSignal<BackendStatus>({ state: 'starting' });
  ask().then(
    (choice) => setStatus({ state: 'ready', choice, line: backendLine(choice) }),
    (e: Error & { details?: string }) => setStatus({ state: 'failed', message: e.message, details: e.details ?? '' }),
  );
  return status;
}
