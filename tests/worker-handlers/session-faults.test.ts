/**
 * The session worker's fault paths through its real handler table (train-handlers.ts) on the committed webift-tiny
 * model, tfjs wasm, and the real fake-indexeddb: a checkpoint save that hits the quota stops the run with an error
 * event the UI turns into a message naming storage and the Storage screen, the previous checkpoint stays loadable
 * and intact, and Resume continues from it; an injected device loss fails the train call with a DeviceLostError
 * that names the kept checkpoint; fault injection is refused by a worker not started for tests.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type BackendChoice } from '../../src/platform/backend';
import { idbCheckpointStore } from '../../src/train/idb-checkpoint-store';
import type { Checkpoint } from '../../src/train/checkpoint';
import type { TrainEvent } from '../../src/train/trainer';
import type { HandlerContext } from '../../src/protocol/serve';
import type { TrainParams } from '../../src/protocol/train-api';
import { createTrainHandlers } from '../../src/worker-handlers/train-handlers';
import { testFaults } from '../../src/worker-handlers/test-faults';
import { applyEvent, initialRun } from '../../src/ui/stores/run-state';
import { quotaIdb } from '../train/quota-idb';

const DIR = path.join(import.meta.dirname, '..', '..', 'public', 'models', 'webift-tiny');
const records = Array.from({ length: 24 }, (_, i) => JSON.stringify({ instruction: `What is ${i % 7} plus ${i % 5}?`, input: '', output: `${(i % 7) + (i % 5)}` })).join('\n');
const PEFT: TrainParams['peft'] = { method: 'LORA', r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj'], useRslora: false, useDora: false, virtualTokens: 8 } as TrainParams['peft'];
const CONFIG = { maxSteps: 6, batchSize: 2, cutoffLen: 96, evalSplit: 0, checkpointEvery: 2, keepCheckpoints: 3, lr: 1e-3, warmupSteps: 0, seed: 3 };

function ctxOf<P>(onEvent: (e: P) => void = () => undefined): HandlerContext<P> {
  return { signal: new AbortController().signal, progress: onEvent };
}

async function ready(faultsOn: boolean) {
  const idb = quotaIdb();
  const store = idbCheckpointStore({ factory: idb.factory, dbName: `faults-${Math.random()}` });
  const faults = testFaults(faultsOn);
  const h = createTrainHandlers(Promise.resolve(backend), store, faults);
  const files = readdirSync(DIR).filter((f) => /\.(json|safetensors)$/.test(f)).map((name) => ({ name, bytes: new Uint8Array(readFileSync(path.join(DIR, name))).buffer }));
  await h.loadModel({ files, label: 'webift-tiny (embedded)' }, ctxOf());
  await h.prepareData({ sources: [{ name: 'sums.jsonl', text: records, weight: 1 }], cutoffLen: 96, promptFormat: 'alpaca', trainOnInputs: false }, ctxOf());
  return { h, store, idb, faults };
}

let backend: BackendChoice;
beforeAll(async () => {
  backend = await initBackend({ prefer: ['wasm'] });
});

describe('session worker fault paths', () => {
  it('a full quota at a checkpoint stops the run, keeps the previous checkpoint intact, and resume continues from it', async () => {
    const { h, store, idb } = await ready(false);
    const events: TrainEvent[] = [];
    let saved2: Promise<Checkpoint | null> | null = null;
    const summary = await h.train({ peft: PEFT, config: CONFIG, resume: false, experimentJson: '{"x":1}' }, ctxOf<TrainEvent>((e) => {
      events.push(e);
      if (e.kind === 'checkpoint' && e.step === 2) {
        saved2 = store.load('step-00000002'); // what step 2 wrote, read before anything else touches it
        idb.failNextPut(); // the next checkpoint (step 4) meets a full quota
      }
    }));
    expect(summary).toMatchObject({ status: 'failed', steps: 4, lastCheckpoint: 'step-00000002' });
    const err = events.find((e) => e.kind === 'error');
    expect(err).toMatchObject({ kind: 'error', step: 4, reason: 'checkpoint', lastCheckpoint: 'step-00000002' });
    expect((err as { message: string }).message).toMatch(/^checkpoint 'step-00000004' does not fit in this browser's storage quota/);
    // The UI's one message: storage named, what was kept, where to go.
    const ui = events.reduce(applyEvent, initialRun());
    expect(ui.phase).toBe('failed');
    expect(ui.error?.message).toBe("Training stopped at step 4: this browser's storage for the site is full, so the checkpoint was not saved. The last good checkpoint (step-00000002) is kept. Free space on the Storage screen, then resume.");
    // Intact: same bytes as written at step 2, and still the newest.
    const before = await saved2!;
    expect(before).not.toBeNull();
    expect(await store.load('step-00000002')).toEqual(before);
    expect(await h.resumable({}, ctxOf())).toEqual({ checkpoint: 'step-00000002', step: 2, experimentJson: '{"x":1}' });
    // Resume runs from step 2 to the end.
    const resumed: TrainEvent[] = [];
    const s2 = await h.train({ peft: PEFT, config: CONFIG, resume: true, experimentJson: '{"x":1}' }, ctxOf<TrainEvent>((e) => resumed.push(e)));
    expect(resumed[0]).toMatchObject({ kind: 'start', step: 2, resumedFrom: 'step-00000002' });
    expect(resumed.filter((e) => e.kind === 'step').map((e) => e.step)).toEqual([3, 4, 5, 6]);
    expect(s2).toMatchObject({ status: 'completed', steps: 6, lastCheckpoint: 'step-00000006' });
  });

  it('an injected device loss fails the train call with a DeviceLostError naming the kept checkpoint', async () => {
    const { h, faults } = await ready(true);
    const steps: number[] = [];
    const err = await Promise.resolve(h.train({ peft: PEFT, config: CONFIG, resume: false, experimentJson: '{}' }, ctxOf<TrainEvent>((e) => {
      if (e.kind === 'step') steps.push(e.step);
      if (e.kind === 'checkpoint' && e.step === 2) faults.arm('device-lost'); // step 3 loses the device
    }))).then(() => null, (e: Error & { details?: string }) => e);
    expect(steps).toEqual([1, 2, 3]);
    expect(err?.name).toBe('DeviceLostError');
    expect(err?.message).toBe('The compute worker lost its GPU device and will restart. The last checkpoint (step-00000002) is kept: press Resume to continue. A smaller batch size or cutoff length needs less memory.');
    expect(err?.details).toMatch(/GPUDevice was lost/);
    expect(await h.resumable({}, ctxOf())).toMatchObject({ checkpoint: 'step-00000002', step: 2 });
  });

  it('a worker not started for tests refuses to arm a fault', async () => {
    const h = createTrainHandlers(Promise.resolve(backend), idbCheckpointStore({ factory: quotaIdb().factory }));
    await expect(Promise.resolve().then(() => h.testFault({ kind: 'device-lost' }, ctxOf()))).rejects.toThrow(/only for tests/);
  });
});
