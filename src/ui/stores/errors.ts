/**
 * Turns anything a worker call throws into the UI's error shape (message + details) and says whether the worker
 * must be restarted (GPU device lost, out of memory, a crashed worker). Aborts are not errors.
 */
import type { UiError } from './run-state';

export function isAbort(e: unknown): boolean {
  return (e as Error | null)?.name === 'AbortError';
}

export function toUiError(e: unknown, context = ''): UiError {
  const err = e as { message?: string; details?: string; remoteName?: string; stack?: string } | null;
  const message = err?.message ?? String(e);
  const details = err?.details || err?.stack || '';
  return { message: context ? `${context} ${message}` : message, details };
}

export function needsRestart(e: unknown): boolean {
  const name = (e as { remoteName?: string } | null)?.remoteName;
  return name === 'DeviceLostError' || name === 'WorkerError';
}
