/**
 * The chat engine and the pause/learning-rate run state, over fake workers (no DOM, no tensors): the model goes
 * to the generate worker once, the adapter's PEFT bytes only when their version changed; a device loss in the
 * generate worker restarts it and the next reply sends model and adapter again; a session-side error is left to
 * the controller; "keep for comparison" answers from slot 'compare'. The run state folds lr per step and pause.
 */
import { describe, expect, it } from 'vitest';
import { RemoteError } from '../../src/protocol/wire';
import type { AdapterSnapshot } from '../../src/protocol/generate-api';
import { createChatEngine } from '../../src/ui/stores/chat-engine';
import type { GenerateHandle } from '../../src/ui/generate-worker-handle';
import { applyEvent, initialRun } from '../../src/ui/stores/run-state';

type Call = [string, Record<string, unknown>];

function fakes(snaps: AdapterSnapshot[]) {
  const genCalls: Call[] = [], sessionCalls: Call[] = [], failed: unknown[] = [];
  let crashNext = false, restarts = 0;
  const genClient = {
    async call(method: string, params: Record<string, unknown>, opts: { onProgress?: (d: { text: string }) => void } = {}) {
      genCalls.push([method, params]);
      if (method === 'generate') {
        if (crashNext) {
          crashNext = false;
          throw new RemoteError({ message: 'The chat worker lost its GPU device and was restarted; training is not affected.', details: 'GPUDevice lost', name: 'DeviceLostError' });
        }
        opts.onProgress?.({ text: 'hi' });
        return { text: `reply from ${params.adapter ?? 'base'}`, tokens: 1, finishReason: 'eos', promptFormat: 'alpaca', ms: 1 };
      }
      return {};
    },
  };
  const gen = { get client() { return genClient; }, restart: () => restarts++, get restarts() { return restarts; } } as unknown as GenerateHandle;
  let i = 0;
  const session = {
    async call(method: string, params: Record<string, unknown>) {
      sessionCalls.push([method, params]);
      const s = snaps[Math.min(i++, snaps.length - 1)];
      // As the session worker does: no bytes when the caller already has this version.
      return params.since === s.version ? { ...s, files: null } : s;
    },
  };
  const ctl = {
    client: () => session,
    modelSpec: () => ({ baseUrl: 'http://x/models/tiny', label: 'tiny' }),
    exp: { model: { kind: 'url', url: '/models/tiny', label: 'tiny' } },
    fail: (e: unknown) => failed.push(e),
  } as unknown as Parameters<typeof createChatEngine>[0];
  return { engine: createChatEngine(ctl, gen), genCalls, sessionCalls, failed, crash: () => (crashNext = true), restarts: () => restarts };
}

const files = (n: number) => ({ config: '{"peft_type":"LORA"}', weights: new Uint8Array([n, n, n]) });
const msg = [{ role: 'user' as const, content: 'hi' }];

describe('chat engine', () => {
  it('loads the model once, sends adapter bytes only when their version changes, restarts after a device loss', async () => {
    const f = fakes([{ version: 3, step: 4, files: files(4) }, { version: 3, step: 4, files: files(4) }, { version: 7, step: 8, files: files(8) }]);
    const deltas: string[] = [];
    const r = await f.engine.reply({ with: 'current', messages: msg, options: {}, onDelta: (t) => deltas.push(t) });
    expect(r.text).toBe('reply from current');
    expect(deltas).toEqual(['hi']);
    expect(f.engine.adapterStep()).toBe(4);
    await f.engine.reply({ with: 'base', messages: msg, options: {} });
    await f.engine.reply({ with: 'current', messages: msg, options: {} }); // same version: no bytes this time
    await f.engine.reply({ with: 'current', messages: msg, options: {} }); // a new checkpoint: version 7
    expect(f.genCalls.map(([m, p]) => (m === 'setAdapter' ? `setAdapter ${p.slot} ${(p.weights as Uint8Array)[0]}` : m === 'generate' ? `generate ${p.adapter}` : m))).toEqual([
      'loadModel', 'setAdapter current 4', 'generate current', 'generate null', 'generate current', 'setAdapter current 8', 'generate current',
    ]);
    expect(f.sessionCalls.map(([, p]) => p.since)).toEqual([null, 3, 3]);
    expect(f.engine.adapterStep()).toBe(8);

    f.crash();
    await expect(f.engine.reply({ with: 'current', messages: msg, options: {} })).rejects.toThrow('The chat worker lost its GPU device and was restarted');
    expect(f.restarts()).toBe(1);
    expect(f.failed).toEqual([]); // the session worker is fine: the controller is not told to restart it
    f.genCalls.length = 0;
    await f.engine.reply({ with: 'current', messages: msg, options: {} });
    expect(f.genCalls.map(([m]) => m)).toEqual(['loadModel', 'setAdapter', 'generate']); // everything sent again
    expect(f.sessionCalls.at(-1)![1].since).toBe(null);
  });

  it('says so when there is no adapter yet, and answers from a kept adapter in slot compare', async () => {
    const f = fakes([{ version: 0, step: null, files: null }, { version: 2, step: 5, files: files(5) }]);
    await expect(f.engine.reply({ with: 'current', messages: msg, options: {} })).rejects.toThrow('There is no adapter yet');
    await expect(f.engine.reply({ with: 'compare', messages: msg, options: {} })).rejects.toThrow('No adapter is kept for comparison yet');
    expect(await f.engine.pinCurrent()).toBe('step 5');
    expect(f.engine.compareLabel()).toBe('step 5');
    const r = await f.engine.reply({ with: 'compare', messages: msg, options: {} });
    expect(r.text).toBe('reply from compare');
    const set = f.genCalls.filter(([m]) => m === 'setAdapter');
    expect(set.map(([, p]) => [p.slot, [...(p.weights as Uint8Array)]])).toEqual([['compare', [5, 5, 5]]]);
  });
});

describe('run state: learning rate and pause', () => {
  it('keeps the lr of every step; a stop while paused, or a new run, ends the pause', () => {
    const step = (n: number, lr: number) => ({ kind: 'step' as const, step: n, epoch: 0, loss: 2, lr, gradNorm: 1, tokensPerSec: 10, etaSeconds: 5, memoryBytes: 1 });
    let s = applyEvent(applyEvent(initialRun(), step(1, 1e-4)), step(2, 2e-4));
    expect([s.steps, s.lrs]).toEqual([[1, 2], [1e-4, 2e-4]]);
    s = { ...s, paused: true };
    s = applyEvent(s, step(3, 3e-4));
    expect(s.paused).toBe(true); // steps never clear it; only the UI's continue does
    s = applyEvent(s, { kind: 'done', step: 3, summary: { status: 'aborted', steps: 3, totalSteps: 10, finalLoss: 2, finalEvalLoss: null, tokens: 30, seconds: 1, lastCheckpoint: 'step-00000003' } });
    expect([s.phase, s.paused]).toEqual(['stopped', false]);
    expect(initialRun().paused).toBe(false);
  });
});
