/**
 * generate() on real fixture models (cpu): no tensor leaks (greedy, sampling, beam, early exit, abort), seeded
 * sampling determinism, numBeams 1 = greedy, and beam search with the KV cache (rows reordered by
 * selectCacheRows) equal to beam search by full recompute.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { initBackend } from '../../src/platform/backend';
import { folderSource } from '../../src/node/fs-source';
import { loadModel } from '../../src/model/load';
import type { Model } from '../../src/model/types';
import { generate, generateAll } from '../../src/generate/generate';
import { resolveOptions, type GenerationOptions } from '../../src/generate/options';
import { beamSearch } from '../../src/generate/beam-search';
import { modelStepper } from '../../src/generate/step';
import { haveShared, caseDir, inputs } from '../helpers/fixtures';

describe.skipIf(!haveShared('generate on fixture models (cpu)'))('generate on fixture models (cpu)', () => {
  const models: Record<string, Model> = {};
  beforeAll(async () => {
    await initBackend({ prefer: ['cpu'] });
    for (const c of ['llama-gqa', 'gemma2', 'gpt2']) models[c] = await loadModel(folderSource(path.join(caseDir(c), 'model')));
  });
  afterAll(() => Object.values(models).forEach((m) => m.dispose()));

  const batch = (c: string) => ({ ids: inputs(c).gen_batch_prompt, attentionMask: inputs(c).gen_batch_mask });

  describe('no tensor leaks', () => {
    const cases: [string, Partial<GenerationOptions>][] = [
      ['greedy, cache', { maxNewTokens: 6 }],
      ['greedy, no cache', { maxNewTokens: 6, useCache: false }],
      ['sampling', { maxNewTokens: 6, doSample: true, temperature: 0.8, topK: 20, topP: 0.9, repetitionPenalty: 1.3, seed: 3 }],
      ['beam search, cache', { maxNewTokens: 6, numBeams: 3 }],
      ['beam search, no cache', { maxNewTokens: 6, numBeams: 3, useCache: false }],
    ];
    for (const c of ['llama-gqa', 'gemma2']) {
      for (const [name, opts] of cases) {
        it(`${c}: ${name}`, async () => {
          const before = tf.memory().numTensors;
          await generateAll(models[c], batch(c), { eosTokenIds: [], ...opts });
          expect(tf.memory().numTensors).toBe(before);
        });
      }
    }
    it('a consumer that stops early, and an abort, free the cache', async () => {
      const before = tf.memory().numTensors;
      for await (const e of generate(models['llama-gqa'], batch('llama-gqa'), { maxNewTokens: 8, eosTokenIds: [] })) if (e.step === 2) break;
      expect(tf.memory().numTensors).toBe(before);
      const ctrl = new AbortController();
      let n = 0;
      for await (const e of generate(models['gemma2'], batch('gemma2'), { maxNewTokens: 8, eosTokenIds: [] }, { signal: ctrl.signal })) {
        if (++n === 3) ctrl.abort();
        if (e.finishReasons.every((r) => r === 'aborted')) break;
      }
      expect(n).toBe(4); // three steps, then the abort event
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  it('seeded sampling gives the same tokens for the same seed, other tokens for another', async () => {
    const opts: Partial<GenerationOptions> = { maxNewTokens: 12, doSample: true, temperature: 1.5, topK: 0, eosTokenIds: [] };
    const a = await generateAll(models['llama-gqa'], batch('llama-gqa'), { ...opts, seed: 11 });
    const b = await generateAll(models['llama-gqa'], batch('llama-gqa'), { ...opts, seed: 11 });
    const c = await generateAll(models['llama-gqa'], batch('llama-gqa'), { ...opts, seed: 12 });
    expect(a.tokens).toEqual(b.tokens);
    expect(a.tokens).not.toEqual(c.tokens);
  });

  it('numBeams 1 (beam search code path) equals greedy', async () => {
    for (const c of ['llama-gqa', 'gpt2']) {
      const greedy = await generateAll(models[c], batch(c), { maxNewTokens: 8, eosTokenIds: [] });
      const stepper = modelStepper(models[c], { useCache: true });
      try {
        const beam = await beamSearch(stepper, batch(c).ids, batch(c).attentionMask, resolveOptions({ numBeams: 1, maxNewTokens: 8, eosTokenIds: [] }));
        expect(beam.tokens).toEqual(greedy.tokens);
      } finally {
        stepper.dispose();
      }
    }
  });

  it('beam search with the KV cache equals beam search by full recompute (padded batch, eos on)', async () => {
    // eos ids picked from these models' beams so that hypotheses end on eos (lengthPenalty 0.7) or run to the
    // length limit (lengthPenalty 2); both paths reorder the cache rows every step.
    const eos: Record<string, number[]> = { 'llama-gqa': [55, 109], gemma2: [192, 14], gpt2: [227, 154] };
    const reasons = new Set<string>();
    for (const c of ['llama-gqa', 'gemma2', 'gpt2']) {
      for (const lengthPenalty of [0.7, 2]) {
        const opts: Partial<GenerationOptions> = { maxNewTokens: 8, numBeams: 4, eosTokenIds: eos[c], lengthPenalty };
        const cached = await generateAll(models[c], batch(c), { ...opts, useCache: true });
        const full = await generateAll(models[c], batch(c), { ...opts, useCache: false });
        expect(cached.tokens).toEqual(full.tokens);
        cached.finishReasons.forEach((r) => reasons.add(r));
      }
    }
    expect([...reasons].sort()).toEqual(['eos', 'length']);
  });
});
