/**
 * Pause and continue of a running train in the session worker's handlers (cpu, the embedded tiny model): no step
 * event arrives while paused, the run continues at the next step with losses identical to an unpaused run (pausing
 * only stops pulling the trainer's events), paused time is left out of the run's seconds, a stop while paused ends
 * the run with a checkpoint, and the adapter's PEFT bytes are served while paused and, without ever waiting more
 * than one step, while training. PauseGate on a fake clock.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/platform/backend';
import { memoryCheckpointStore } from '../../src/train/checkpoint';
import type { TrainEvent } from '../../src/train/trainer';
import type { BackendChoice, TrainApi, TrainParams } from '../../src/protocol/train-api';
import { createTrainHandlers } from '../../src/worker-handlers/train-handlers';
import { PauseGate } from '../../src/worker-handlers/train-pause';
import { arithmeticJsonl, plain, tinyFiles } from './tiny-session';

describe('PauseGate', () => {
  it('its clock leaves parked stretches out; held() waits for the park; wait() ends on resume or on abort', async () => {
    let t = 1000;
    const g = new PauseGate(() => t);
    t = 1500;
    expect(g.clock()).toBe(1500);
    expect(g.pause()).toBe(true);
    expect(g.pause()).toBe(false);
    let held = false;
    const h = g.held().then(() => (held = true));
    t = 1700; // the step in flight when the pause was asked for still counts
    await Promise.resolve();
    expect(held, 'not held until the loop parks in wait()').toBe(false);
    expect(g.clock()).toBe(1700);
    let woke = false;
    const w = g.wait().then(() => (woke = true));
    await h;
    t = 4200; // 2.5 s parked: the clock stands still
    expect(g.clock()).toBe(1700);
    await Promise.resolve();
    expect(woke).toBe(false);
    expect(g.resume()).toBe(true);
    await w;
    t = 4300;
    expect(g.clock()).toBe(1800); // 1700 + 100 ms since the resume
    g.pause();
    const ctrl = new AbortController();
    const w2 = g.wait(ctrl.signal);
    t = 5300;
    ctrl.abort();
    await w2; // a stop releases a parked wait
    expect(g.clock()).toBe(1800);
    expect(g.paused).toBe(true);
    g.reset();
    expect(g.paused).toBe(false);
  });
});

const PARAMS: TrainParams = {
  peft: { method: 'LORA', r: 4, alpha: 8, dropout: 0.05, targetModules: ['q_proj', 'v_proj'], useRslora: false, useDora: false, virtualTokens: 8 },
  config: { maxSteps: 5, batchSize: 2, gradAccum: 1, cutoffLen: 48, lr: 3e-3, warmupSteps: 1, evalSplit: 0, checkpointEvery: 0, seed: 3 },
  resume: false,
  experimentJson: '{}',
};

async function session(backend: Promise<BackendChoice>) {
  const h = plain<TrainApi>(createTrainHandlers(backend, memoryCheckpointStore()));
  const ctx = { signal: new AbortController().signal, progress: () => undefined };
  await h.loadModel({ files: tinyFiles(), label: 'tiny' }, ctx);
  await h.prepareData({ sources: [{ name: 'arith.jsonl', text: arithmeticJsonl(), weight: 1 }], cutoffLen: 48, promptFormat: 'alpaca', trainOnInputs: false }, ctx);
  return h;
}

const losses = (ev: TrainEvent[]) => ev.flatMap((e) => (e.kind === 'step' ? [e.loss] : []));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pause and continue training (cpu, embedded tiny model)', () => {
  let backend: Promise<BackendChoice>;
  let reference: number[];
  beforeAll(async () => {
    backend = initBackend({ prefer: ['cpu'] });
    const h = await session(backend);
    const ev: TrainEvent[] = [];
    await h.train(PARAMS, { signal: new AbortController().signal, progress: (e) => ev.push(e) });
    reference = losses(ev);
    expect(reference).toHaveLength(5);
  }, 60_000);

  it('holds between steps, serves the adapter while paused, and continues with identical losses', async () => {
    const h = await session(backend);
    const ev: TrainEvent[] = [];
    const at: number[] = [];
    let pausedAt = -1;
    const t0 = Date.now();
    const run = h.train(PARAMS, {
      signal: new AbortController().signal,
      progress: (e) => {
        ev.push(e);
        if (e.kind === 'step') at.push(Date.now());
        // Paused from inside the step-2 event: the worker checks the gate before it pulls the next event.
        if (e.kind === 'step' && e.step === 2) void h.pauseTraining({}, { signal: new AbortController().signal, progress: () => undefined }).then((ok) => expect(ok).toBe(true));
      },
    });
    while (!ev.some((e) => e.kind === 'step' && e.step === 2)) await sleep(5);
    pausedAt = ev.length;
    // Longer than two steps take here, so an ungated run would have sent more events.
    const pausedFor = Math.max(600, 2.5 * (at[1] - at[0]));
    await sleep(pausedFor);
    expect(ev.length, 'no event at all while paused').toBe(pausedAt);
    const snap = await h.adapterSnapshot({ since: null }, { signal: new AbortController().signal, progress: () => undefined });
    expect(snap.step).toBe(2);
    expect(snap.files!.config).toContain('"peft_type": "LORA"');
    expect(snap.files!.weights.length).toBeGreaterThan(1000);
    const again = await h.adapterSnapshot({ since: snap.version }, { signal: new AbortController().signal, progress: () => undefined });
    expect(again).toEqual({ version: snap.version, step: 2, files: null }); // the caller has these bytes already
    expect(await h.continueTraining({}, { signal: new AbortController().signal, progress: () => undefined })).toBe(true);
    const summary = await run;
    const wall = (Date.now() - t0) / 1000;
    expect(losses(ev)).toEqual(reference); // exactly: pausing changes nothing the trainer computes
    expect(summary.status).toBe('completed');
    expect(summary.seconds).toBeLessThanOrEqual(wall - pausedFor / 1000 + 0.05);
    expect(await h.continueTraining({}, { signal: new AbortController().signal, progress: () => undefined })).toBe(false);
  }, 60_000);

  it('serves adapter bytes while training: waits for one boundary, then answers at once and refreshes at the next', async () => {
    const h = await session(backend);
    const none = { signal: new AbortController().signal, progress: () => undefined };
    const asked: Promise<{ step: number | null; files: unknown }>[] = [];
    await h.train(PARAMS, {
      signal: new AbortController().signal,
      progress: (e) => {
        if (e.kind === 'step' && [1, 3, 4].includes(e.step)) asked.push(h.adapterSnapshot({ since: null }, none));
      },
    });
    const got = await Promise.all(asked);
    // Step 1: none yet, so it waits for the boundary after step 1. Step 3: the step-1 bytes at once (and a refresh
    // is taken after step 3). Step 4: those step-3 bytes.
    expect(got.map((g) => g.step)).toEqual([1, 1, 3]);
    expect(got.every((g) => g.files !== null)).toBe(true);
    const after = await h.adapterSnapshot({ since: null }, none);
    expect(after.step).toBe(5); // not training: the adapter as it is now
  }, 60_000);

  it('stops while paused: the run ends aborted at that step, with a checkpoint', async () => {
    const h = await session(backend);
    const ev: TrainEvent[] = [];
    const none = { signal: new AbortController().signal, progress: () => undefined };
    const run = h.train(PARAMS, {
      signal: new AbortController().signal,
      progress: (e) => {
        ev.push(e);
        if (e.kind === 'step' && e.step === 1) void h.pauseTraining({}, none);
      },
    });
    while (!ev.some((e) => e.kind === 'step')) await sleep(5);
    await sleep(100);
    expect(await h.stopTraining({}, none)).toBe(true);
    const summary = await run;
    expect(summary).toMatchObject({ status: 'aborted', steps: 1, lastCheckpoint: 'step-00000001' });
    expect(losses(ev)).toEqual(reference.slice(0, 1));
    expect(await h.pauseTraining({}, none)).toBe(false); // nothing runs: nothing to pause
  }, 60_000);
});
