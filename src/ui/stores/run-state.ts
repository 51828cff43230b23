/**
 * The training run as UI state, folded from the worker's TrainEvents: phase, the loss series (train and eval) the
 * chart draws, the latest throughput / ETA / memory, checkpoints, and the error to show. Pure functions over plain
 * data, so tests run them in Node without a DOM; the Solid store in controller.ts applies them.
 */
import type { TrainEvent, TrainSummary } from '../../protocol/train-api';

export type Phase = 'idle' | 'loading-model' | 'preparing-data' | 'training' | 'stopping' | 'finished' | 'stopped' | 'failed';

export interface UiError {
  /** What happened, what was kept, what to do next: one or two sentences. */
  message: string;
  /** For "Show details". */
  details: string;
}

export interface RunState {
  phase: Phase;
  /** Short line under the buttons, e.g. 'Loading the model… 40%'. */
  note: string;
  step: number;
  totalSteps: number;
  steps: number[];
  loss: number[];
  evalSteps: number[];
  evalLoss: number[];
  lr: number | null;
  /** The learning rate of every step in `steps`, for the learning-rate chart. */
  lrs: number[];
  /** True while the worker holds the run between two steps (pause-store.ts); a new run starts unpaused. */
  paused: boolean;
  tokensPerSec: number | null;
  etaSeconds: number | null;
  memoryBytes: number | null;
  checkpoints: string[];
  resumedFrom: string | null;
  summary: TrainSummary | null;
  error: UiError | null;
}

export function initialRun(): RunState {
  return {
    phase: 'idle', note: '', step: 0, totalSteps: 0, steps: [], loss: [], evalSteps: [], evalLoss: [], lr: null, lrs: [], paused: false, tokensPerSec: null,
    etaSeconds: null, memoryBytes: null, checkpoints: [], resumedFrom: null, summary: null, error: null,
  };
}

/** A new run (or a resumed one) starts with empty series; a resumed run keeps nothing of the old page's chart. */
export function applyEvent(s: RunState, e: TrainEvent): RunState {
  switch (e.kind) {
    case 'start':
      return { ...s, phase: 'training', step: e.step, totalSteps: e.totalSteps, resumedFrom: e.resumedFrom, note: e.resumedFrom ? `Resumed from ${e.resumedFrom}.` : `Training ${e.trainableParams.toLocaleString('en-US')} adapter parameters.` };
    case 'step':
      return { ...s, step: e.step, steps: [...s.steps, e.step], loss: [...s.loss, e.loss], lr: e.lr, lrs: [...s.lrs, e.lr], tokensPerSec: e.tokensPerSec, etaSeconds: e.etaSeconds, memoryBytes: e.memoryBytes };
    case 'eval':
      return { ...s, evalSteps: [...s.evalSteps, e.step], evalLoss: [...s.evalLoss, e.evalLoss] };
    case 'checkpoint':
      return { ...s, checkpoints: [...s.checkpoints.filter((c) => c !== e.name), e.name] };
    case 'error':
      return { ...s, phase: 'failed', note: `Stopped at step ${e.step}${e.lastCheckpoint ? `; checkpoint ${e.lastCheckpoint} kept` : ''}.`, error: { message: errorMessage(e), details: e.message } };
    case 'done': {
      const phase = e.summary.status === 'completed' ? 'finished' : e.summary.status === 'aborted' ? 'stopped' : 'failed';
      const note = phase === 'finished' ? `Finished ${e.summary.steps} steps in ${formatSeconds(e.summary.seconds)}${s.resumedFrom ? ` (resumed from ${s.resumedFrom})` : ''}.` : phase === 'stopped' ? `Stopped at step ${e.summary.steps}; checkpoint ${e.summary.lastCheckpoint ?? 'none'} kept.` : s.note;
      return { ...s, phase: s.phase === 'failed' ? 'failed' : phase, paused: false, summary: e.summary, note, etaSeconds: phase === 'finished' ? 0 : s.etaSeconds };
    }
  }
}

function errorMessage(e: Extract<TrainEvent, { kind: 'error' }>): string {
  const kept = e.lastCheckpoint ? `The last good checkpoint (${e.lastCheckpoint}) is kept.` : 'No checkpoint was saved yet.';
  if (e.reason === 'over-budget') return `This run would not fit in memory on this device, so it did not start. Lower the batch size or cutoff length on the Train screen.`;
  if (e.reason === 'non-finite') return `Training stopped at step ${e.step + 1}: the loss became NaN or infinite. ${kept} Lower the learning rate and start again.`;
  if (e.reason === 'gpu') return `Training stopped at step ${e.step + 1}: the GPU reported an error, so that step's numbers cannot be trusted. ${kept} Press Resume to try again; the details say what failed.`;
  if (/quota/i.test(e.message)) return `Training stopped at step ${e.step}: this browser's storage for the site is full, so the checkpoint was not saved. ${kept} Free space on the Storage screen, then resume.`;
  return `A checkpoint could not be saved (storage full or unavailable). ${kept} Free space on the Storage screen, then resume.`;
}

/** '45 s', '3 min 20 s', '1 h 5 min'. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '–';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** '12.3 MB' (decimal units). */
export function formatBytes(b: number | null): string {
  if (b === null || !Number.isFinite(b)) return '–';
  if (b < 1e3) return `${b} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = b / 1e3, i = 0;
  while (v >= 1e3 && i < units.length - 1) {
    v /= 1e3;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export const isBusy = (p: Phase) => p === 'loading-model' || p === 'preparing-data' || p === 'training' || p === 'stopping';
