/**
 * Parity of our forward with the golden HF transformers 4.45.1 outputs in ../shared/fixtures/hf-reference, for every
 * case, on one backend: logits (both position conventions, the unpadded row), hidden states, the loss, rope
 * inv_freq, and no tensor leaks. Tolerance atol 1e-4 + rtol 1e-4 at unmasked positions (the fixture README's bar).
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { initBackend, type BackendName } from '../../src/platform/backend';
import { loadModel } from '../../src/model/load';
import { forward } from '../../src/model/transformer';
import { causalLmLoss } from '../../src/train/loss';
import { folderSource } from '../../src/node/fs-source';
import type { Model } from '../../src/model/types';
import { CASES, HAVE_SHARED, haveShared, caseDir, compareClose, flat, inputs, tensors } from '../helpers/fixtures';

const ATOL = 1e-4, RTOL = 1e-4;

export function paritySuite(backend: BackendName): void {
  describe.skipIf(!haveShared(`HF parity on ${backend}`))(`HF parity on ${backend}`, () => {
    beforeAll(async () => {
      const got = await initBackend({ prefer: [backend] });
      expect(got.name).toBe(backend);
    });

    for (const c of CASES) {
      describe(c, () => {
        let model: Model;
        const inp = HAVE_SHARED ? inputs(c) : null!;
        const refFile = path.join(caseDir(c), 'base_outputs.safetensors');
        beforeAll(async () => {
          model = await loadModel(folderSource(path.join(caseDir(c), 'model')));
        });

        const ids = () => flat(inp.input_ids);
        const mask = () => flat(inp.attention_mask);
        const unmasked = (V: number) => (i: number) => mask()[Math.floor(i / V)] === 1;

        it('logits at unmasked positions (positions = arange)', async () => {
          const ref = await (await tensors(refFile)).float32('logits');
          const out = forward(model, { ids: ids(), B: 2, T: 12, attentionMask: mask() });
          expect(out.logits!.shape).toEqual(ref.shape);
          const r = compareClose((await out.logits!.data()) as Float32Array, ref.data, ATOL, RTOL, unmasked(model.config.vocabSize));
          out.logits!.dispose();
          expect(r.worst, `max |Δ| ${r.maxAbs}`).toBeLessThanOrEqual(0);
        });

        it('logits with position ids from the mask, and row 1 unpadded', async () => {
          const file = await tensors(refFile);
          if (file.has('logits_position_ids_from_mask')) {
            const ref = await file.float32('logits_position_ids_from_mask');
            const out = forward(model, { ids: ids(), B: 2, T: 12, attentionMask: mask(), positionIds: flat(inp.position_ids_from_mask) });
            const r = compareClose((await out.logits!.data()) as Float32Array, ref.data, ATOL, RTOL, unmasked(model.config.vocabSize));
            out.logits!.dispose();
            expect(r.worst, `max |Δ| ${r.maxAbs}`).toBeLessThanOrEqual(0);
          } else {
            expect(c).toBe('bloom'); // ALiBi has no position ids; the README says only bloom lacks this tensor.
          }
          const ref1 = await file.float32('logits_row1_unpadded');
          const row1 = Int32Array.from(inp.input_ids[1].filter((_, t) => inp.attention_mask[1][t] === 1));
          const out1 = forward(model, { ids: row1, B: 1, T: row1.length });
          const r1 = compareClose((await out1.logits!.data()) as Float32Array, ref1.data, ATOL, RTOL);
          out1.logits!.dispose();
          expect(r1.worst, `max |Δ| ${r1.maxAbs}`).toBeLessThanOrEqual(0);
        });

        it('hidden states (embeddings, layer 0, final norm)', async () => {
          const ref = await (await tensors(refFile)).float32('hidden_states'); // (3, B, T, C)
          const out = forward(model, { ids: ids(), B: 2, T: 12, attentionMask: mask() }, { outputHidden: true });
          expect(out.hidden!.length).toBe(ref.shape[0]);
          const C = model.config.hidden;
          const mine = new Float32Array(ref.data.length);
          for (const [i, h] of out.hidden!.entries()) mine.set((await h.data()) as Float32Array, i * h.size);
          tf.dispose([out.logits!, ...out.hidden!]);
          const r = compareClose(mine, ref.data, ATOL, RTOL, (i) => mask()[Math.floor((i % (24 * C)) / C)] === 1);
          expect(r.worst, `max |Δ| ${r.maxAbs}`).toBeLessThanOrEqual(0);
        });

        it('causal-LM loss (mean over the 12 non-ignored targets)', async () => {
          const ref = await (await tensors(refFile)).float32('loss');
          const loss = tf.tidy(() => causalLmLoss(forward(model, { ids: ids(), B: 2, T: 12, attentionMask: mask() }).logits!, flat(inp.labels)));
          const v = (await loss.data())[0];
          loss.dispose();
          expect(Math.abs(v - ref.data[0])).toBeLessThanOrEqual(RTOL * Math.abs(ref.data[0]));
        });

        it('rope inverse frequencies', async () => {
          const file = await tensors(refFile);
          if (!file.has('rope_inv_freq')) return expect(model.invFreq).toBeNull();
          const ref = await file.float32('rope_inv_freq');
          const r = compareClose(model.invFreq!, ref.data, 0, 1e-6);
          expect(r.worst, `max |Δ| ${r.maxAbs}`).toBeLessThanOrEqual(0);
        });

        it('leaks no tensors: forward, then load + dispose', async () => {
          const before = tf.memory().numTensors;
          const out = forward(model, { ids: ids(), B: 2, T: 12, attentionMask: mask() }, { outputHidden: true });
          tf.dispose([out.logits!, ...out.hidden!]);
          expect(tf.memory().numTensors).toBe(before);
          const m2 = await loadModel(folderSource(path.join(caseDir(c), 'model')));
          m2.dispose();
          expect(tf.memory().numTensors).toBe(before);
        });
      });
    }
  });
}
