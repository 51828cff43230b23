/**
 * The run store's fold over TrainEvents (what the chart and status line show) and the chart's series alignment,
 * on a hand-written event sequence: start, steps, an eval, checkpoints, a stop, and the error wording.
 */
import { describe, expect, it } from 'vitest';
import { applyEvent, formatBytes, formatSeconds, initialRun, type RunState } from '../../src/ui/stores/run-state';
import { alignSeries } from '../../src/ui/stores/chart-data';
import type { TrainEvent } from '../../src/protocol/train-api';

const step = (n: number, loss: number): TrainEvent => ({ kind: 'step', step: n, epoch: 0, loss, lr: 1e-3, gradNorm: 1, tokensPerSec: 100, etaSeconds: 10 - n, memoryBytes: 1e6 });
const fold = (events: TrainEvent[], s: RunState = initialRun()) => events.reduce(applyEvent, s);

describe('applyEvent', () => {
  it('grows the series and keeps the latest throughput, ETA and memory', () => {
    const s = fold([{ kind: 'start', step: 0, totalSteps: 10, trainableParams: 16384, resumedFrom: null }, step(1, 3), step(2, 2.5), { kind: 'eval', step: 2, evalLoss: 2.7 }]);
    expect(s.phase).toBe('training');
    expect(s.totalSteps).toBe(10);
    expect(s.steps).toEqual([1, 2]);
    expect(s.loss).toEqual([3, 2.5]);
    expect(s.evalSteps).toEqual([2]);
    expect(s.evalLoss).toEqual([2.7]);
    expect(s.etaSeconds).toBe(8);
    expect(s.note).toBe('Training 16,384 adapter parameters.');
  });

  it('lists checkpoints once each and ends a stopped run as stopped, naming the kept checkpoint', () => {
    const s = fold([
      { kind: 'start', step: 4, totalSteps: 10, trainableParams: 1, resumedFrom: 'step-00000004' }, step(5, 2),
      { kind: 'checkpoint', step: 5, name: 'step-00000005' }, { kind: 'checkpoint', step: 5, name: 'step-00000005' },
      { kind: 'done', step: 5, summary: { status: 'aborted', steps: 5, totalSteps: 10, finalLoss: 2, finalEvalLoss: null, tokens: 10, seconds: 3, lastCheckpoint: 'step-00000005' } },
    ]);
    expect(s.checkpoints).toEqual(['step-00000005']);
    expect(s.phase).toBe('stopped');
    expect(s.note).toBe('Stopped at step 5; checkpoint step-00000005 kept.');
    expect(s.resumedFrom).toBe('step-00000004');
  });

  it('a non-finite loss fails the run with what was kept and what to do', () => {
    const s = fold([
      { kind: 'error', step: 6, reason: 'non-finite', message: 'loss is NaN', lastCheckpoint: 'step-00000005' },
      { kind: 'done', step: 6, summary: { status: 'failed', steps: 6, totalSteps: 10, finalLoss: null, finalEvalLoss: null, tokens: 0, seconds: 1, lastCheckpoint: 'step-00000005' } },
    ]);
    expect(s.phase).toBe('failed');
    expect(s.error?.message).toBe('Training stopped at step 7: the loss became NaN or infinite. The last good checkpoint (step-00000005) is kept. Lower the learning rate and start again.');
    expect(s.error?.details).toBe('loss is NaN');
  });
});

describe('formatting and chart data', () => {
  it('formats durations and sizes with units', () => {
    expect([formatSeconds(45), formatSeconds(200), formatSeconds(3900), formatSeconds(-1)]).toEqual(['45 s', '3 min 20 s', '1 h 5 min', '–']);
    expect([formatBytes(512), formatBytes(4_360_000), formatBytes(192_200_000), formatBytes(null)]).toEqual(['512 B', '4.36 MB', '192.2 MB', '–']);
  });

  it('aligns eval points onto the train steps, null elsewhere', () => {
    expect(alignSeries([1, 2, 3], [3, 2, 1], [2, 4], [2.5, 0.9])).toEqual([[1, 2, 3, 4], [3, 2, 1, null], [null, 2.5, null, 0.9]]);
  });
});
