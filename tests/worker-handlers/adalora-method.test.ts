/**
 * The app's AdaLoRA entry: an experiment with method ADALORA and its `adalora` schedule validates (share links carry
 * it; links without it still do, targetR above initR is refused by path), the session worker maps it to PEFT's
 * AdaLoraConfig, and a run in the session handlers (cpu, the embedded tiny model) prunes ranks as it trains: the
 * adapter it serves has the target budget of kept ranks in its rank_pattern and tensors resized to them.
 */
import { describe, expect, it } from 'vitest';
import { defaultExperiment } from '../../src/experiment/experiment';
import { validateExperiment } from '../../src/experiment/validate';
import { decodeExperiment, encodeExperiment } from '../../src/experiment/share-link';
import { initBackend } from '../../src/platform/backend';
import { memoryCheckpointStore } from '../../src/train/checkpoint';
import type { TrainApi, TrainParams } from '../../src/protocol/train-api';
import { createTrainHandlers } from '../../src/worker-handlers/train-handlers';
import { peftConfigOf } from '../../src/worker-handlers/train-run';
import { bytesReader, SafetensorsFile } from '../../src/model/safetensors';
import { arithmeticJsonl, plain, tinyFiles } from './tiny-session';

const ADA = { initR: 4, targetR: 2, tinit: 0, tfinal: 1, deltaT: 1 };

describe('AdaLoRA in the app', () => {
  it('the experiment validates, survives a share link and maps to AdaLoraConfig; targetR > initR is refused by path', () => {
    const x = defaultExperiment();
    x.peft = { ...x.peft, method: 'ADALORA', alpha: 8, dropout: 0, adalora: ADA };
    expect(validateExperiment(x).ok).toBe(true);
    const d = decodeExperiment(encodeExperiment(x));
    expect(d.ok && d.value.peft.adalora).toEqual(ADA);
    expect(peftConfigOf(x.peft)).toMatchObject({ peft_type: 'ADALORA', init_r: 4, target_r: 2, tinit: 0, tfinal: 1, deltaT: 1, lora_alpha: 8, lora_dropout: 0, target_modules: ['q_proj', 'v_proj'] });
    const old = defaultExperiment(); // links made before AdaLoRA have no `adalora`
    expect('adalora' in old.peft).toBe(false);
    expect(validateExperiment(old).ok).toBe(true);
    x.peft.adalora = { ...ADA, targetR: 5 };
    const v = validateExperiment(x);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.errors).toEqual(['experiment.peft.adalora.targetR must be at most initR (got 5 > 4)']);
  });

  it('a run in the session worker prunes to the target budget and serves the resized adapter', async () => {
    const backend = initBackend({ prefer: ['cpu'] });
    const h = plain<TrainApi>(createTrainHandlers(backend, memoryCheckpointStore()));
    const none = { signal: new AbortController().signal, progress: () => undefined };
    await h.loadModel({ files: tinyFiles(), label: 'tiny' }, none);
    await h.prepareData({ sources: [{ name: 'arith.jsonl', text: arithmeticJsonl(), weight: 1 }], cutoffLen: 48, promptFormat: 'alpaca', trainOnInputs: false }, none);
    const params: TrainParams = {
      peft: { method: 'ADALORA', r: 8, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj'], useRslora: false, useDora: false, virtualTokens: 8, adalora: ADA },
      config: { maxSteps: 3, batchSize: 2, gradAccum: 1, cutoffLen: 48, lr: 1e-2, warmupSteps: 0, evalSplit: 0, checkpointEvery: 0, seed: 3 },
      resume: false,
      experimentJson: '{}',
    };
    const summary = await h.train(params, none);
    expect(summary.status).toBe('completed');
    const snap = await h.adapterSnapshot({ since: null }, none);
    const cfg = JSON.parse(snap.files!.config);
    expect(cfg).toMatchObject({ peft_type: 'ADALORA', init_r: 4, target_r: 2, total_step: 3 });
    const pattern = cfg.rank_pattern as Record<string, boolean[]>;
    expect(Object.values(pattern).flat().filter(Boolean)).toHaveLength(2 * 8); // webift-tiny: 4 layers x q, v
    const file = await SafetensorsFile.open(bytesReader(snap.files!.weights), 'snapshot');
    for (const [k, keep] of Object.entries(pattern)) expect(file.header.tensors[`base_model.model.${k}`].shape).toEqual([keep.filter(Boolean).length, 1]);
  });
});
