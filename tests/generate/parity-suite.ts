/**
 * Greedy-decoding parity with HF transformers 4.45.1 generate() (fixtures part c) for the eight families, on one
 * backend: new tokens of the single prompt and of the left-padded batch, with and without the KV cache, and the
 * per-step logits against HF's full-recompute step logits (atol 1e-4, rtol 1e-4). For gemma2, HF's own cached
 * run is wrong (see the fixtures README), so both of our runs are held to the no-cache truth.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type BackendName } from '../../src/platform/backend';
import { folderSource } from '../../src/node/fs-source';
import { loadModel } from '../../src/model/load';
import type { Model } from '../../src/model/types';
import { generateAll } from '../../src/generate/generate';
import { CASES, haveShared, caseDir, compareClose, inputs, readJson, tensors } from '../helpers/fixtures';

interface Generation {
  new_tokens: number[][];
  batch_new_tokens: number[][];
}

export function paritySuite(backend: BackendName, withStepLogits: boolean): void {
  describe.skipIf(!haveShared(`greedy generation parity with HF (${backend})`))(`greedy generation parity with HF (${backend})`, () => {
    beforeAll(async () => {
      await initBackend({ prefer: [backend] });
    });

    for (const c of CASES) {
      describe(c, () => {
        let model: Model;
        const gen = () => readJson<Generation>(path.join(caseDir(c), 'generation.json'));
        beforeAll(async () => {
          model = await loadModel(folderSource(path.join(caseDir(c), 'model')));
        });
        afterAll(() => model?.dispose());

        for (const useCache of [true, false]) {
          it(`single prompt, ${useCache ? 'KV cache' : 'no cache'}`, async () => {
            const steps: Float32Array[] = [];
            const r = await generateAll(model, { ids: inputs(c).gen_prompt }, { maxNewTokens: 8, eosTokenIds: [], useCache }, { onLogits: (_s, l) => steps.push(l.slice()) });
            expect(r.tokens).toEqual(gen().new_tokens);
            if (withStepLogits) {
              const ref = (await (await tensors(path.join(caseDir(c), 'base_outputs.safetensors'))).float32('gen_step_logits')).data; // (8, 1, V)
              const d = compareClose(concat(steps), ref, 1e-4, 1e-4);
              expect(d.worst, `max |diff| ${d.maxAbs} at ${d.at}`).toBeLessThanOrEqual(0);
            }
          });
          it(`left-padded batch, ${useCache ? 'KV cache' : 'no cache'}`, async () => {
            const inp = inputs(c);
            const steps: Float32Array[] = [];
            const r = await generateAll(model, { ids: inp.gen_batch_prompt, attentionMask: inp.gen_batch_mask }, { maxNewTokens: 8, eosTokenIds: [], useCache }, { onLogits: (_s, l) => steps.push(l.slice()) });
            expect(r.tokens).toEqual(gen().batch_new_tokens);
            if (withStepLogits) {
              const ref = (await (await tensors(path.join(caseDir(c), 'base_outputs.safetensors'))).float32('gen_batch_step_logits')).data; // (8, 2, V)
              const d = compareClose(concat(steps), ref, 1e-4, 1e-4);
              expect(d.worst, `max |diff| ${d.maxAbs} at ${d.at}`).toBeLessThanOrEqual(0);
            }
          });
        }
      });
    }
  });
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
