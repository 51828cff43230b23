/**
 * The session worker's quantized load (train-handlers.ts + model-quant.ts) on the embedded webift-tiny model, wasm:
 * a ModelSpec with quantize int4 gives a model whose linear weights are QTensors (norms stay f32), ModelInfo says so,
 * the memory estimate counts smaller weights than the f32 load of the same model, and the adapter trains on it; a
 * reload with quantize none is f32 again, and a bad group size is a user error that leaves the loaded model alone.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { QTensor } from '../../src/kernels/qtensor';
import { initBackend, type BackendChoice } from '../../src/platform/backend';
import { memoryCheckpointStore } from '../../src/train/checkpoint';
import type { TrainEvent } from '../../src/train/trainer';
import type { HandlerContext } from '../../src/protocol/serve';
import type { EstimateResult, TrainApi, TrainParams } from '../../src/protocol/train-api';
import { createTrainHandlers } from '../../src/worker-handlers/train-handlers';
import { testFaults } from '../../src/worker-handlers/test-faults';
import { newSession } from '../../src/worker-handlers/session';
import { arithmeticJsonl, plain, tinyFiles } from './tiny-session';

const PEFT: TrainParams['peft'] = { method: 'LORA', r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj'], useRslora: false, useDora: false, virtualTokens: 8 };
const CONFIG = { maxSteps: 2, batchSize: 2, cutoffLen: 64, evalSplit: 0, checkpointEvery: 0, lr: 1e-3, warmupSteps: 0, seed: 3 };
const INT4 = { mode: 'int4', groupSize: 64, symmetric: true } as const;

function ctx<P>(onEvent: (e: P) => void = () => undefined): HandlerContext<P> {
  return { signal: new AbortController().signal, progress: onEvent };
}

describe('session worker: quantized base (wasm, embedded tiny model)', () => {
  let backend: BackendChoice;
  beforeAll(async () => {
    backend = await initBackend({ prefer: ['wasm'] });
  });

  function handlers() {
    const session = newSession(Promise.resolve(backend));
    const h = plain<TrainApi>(createTrainHandlers(Promise.resolve(backend), memoryCheckpointStore(), testFaults(false), session));
    const estimate = (): Promise<EstimateResult> => h.estimate({ peft: PEFT, config: CONFIG }, ctx());
    return { h, session, estimate };
  }

  it('int4: QTensor linear weights, smaller weight bytes and estimate than f32, and 2 training steps run', async () => {
    const { h, session, estimate } = handlers();
    const f32Info = await h.loadModel({ files: tinyFiles(), label: 'webift-tiny' }, ctx());
    expect(f32Info.quantized).toBeUndefined();
    expect(session.quant).toBeNull();
    expect(session.model!.weights.get('layers.0.q.w')).toBeInstanceOf(tf.Tensor);
    const f32 = await estimate();

    const info = await h.loadModel({ files: tinyFiles(), label: 'webift-tiny', quantize: INT4 }, ctx());
    expect(session.quant).toEqual({ bits: 4, groupSize: 64, symmetric: true });
    for (const name of ['layers.0.q.w', 'layers.0.v.w', 'layers.3.down.w', 'lm_head.w']) expect(session.model!.weights.get(name), name).toBeInstanceOf(QTensor);
    expect(session.model!.weights.get('layers.0.attn_norm.w')).toBeInstanceOf(tf.Tensor);
    expect(info.quantized!.label).toBe('int4 g64 sym');
    expect(info.quantized!.f32Bytes).toBe(f32Info.parameters * 4); // untied: every weight counted once
    expect(info.quantized!.weightBytes).toBeLessThan(info.quantized!.f32Bytes / 3);

    const q = await estimate();
    expect(q.trainableParams).toBe(f32.trainableParams); // the same adapter, on a smaller base
    // The planner's weight term: f32 counts 4 bytes a weight; int4 g64 about 0.5 + 4/64. Nothing else changes here.
    expect(f32.totalBytes - q.totalBytes).toBeGreaterThan(0.8 * (info.quantized!.f32Bytes - info.quantized!.weightBytes));

    await h.prepareData({ sources: [{ name: 'sums.jsonl', text: arithmeticJsonl(), weight: 1 }], cutoffLen: 64, promptFormat: 'alpaca', trainOnInputs: false }, ctx());
    const steps: number[] = [];
    const summary = await h.train({ peft: PEFT, config: CONFIG, resume: false, experimentJson: '{}' }, ctx<TrainEvent>((e) => {
      if (e.kind === 'step') steps.push(e.loss);
    }));
    expect(summary.status).toBe('completed');
    expect(steps).toHaveLength(2);
    expect(steps.every(Number.isFinite)).toBe(true);

    // Back to none: an f32 model again, and the estimate of the first load.
    await h.loadModel({ files: tinyFiles(), label: 'webift-tiny', quantize: { ...INT4, mode: 'none' } }, ctx());
    expect(session.quant).toBeNull();
    expect(session.model!.weights.get('layers.0.q.w')).toBeInstanceOf(tf.Tensor);
    expect((await estimate()).totalBytes).toBe(f32.totalBytes);
  });

  it('a group size that is not a multiple of 8 is a user error naming it; the loaded model stays', async () => {
    const { h, session } = handlers();
    await h.loadModel({ files: tinyFiles(), label: 'webift-tiny', quantize: { ...INT4, mode: 'int8' } }, ctx());
    const before = session.model;
    await expect(h.loadModel({ files: tinyFiles(), label: 'webift-tiny', quantize: { ...INT4, groupSize: 60 } }, ctx())).rejects.toThrow(/^Group size 60 does not work: .*multiple of 8/);
    expect(session.model).toBe(before);
    expect(session.quant).toEqual({ bits: 8, groupSize: 64, symmetric: true });
  });
});
