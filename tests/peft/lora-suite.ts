/**
 * LoRA parity with peft 0.13 (fixtures part d) on one backend, for every case: PEFT's own adapter files loaded through
 * adapter-io give the PEFT model's logits (atol 1e-4 + rtol 1e-4 at unmasked positions), its mean causal-LM loss
 * (rtol 1e-4), and the gradient of that loss for every lora_A / lora_B (atol 1e-5 + rtol 1e-3), with no tensor leaks.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { initBackend, type BackendName } from '../../src/platform/backend';
import type { Model } from '../../src/model/types';
import { causalLmLoss } from '../../src/train/loss';
import { adapterForward, trainableParams, type Adapter } from '../../src/peft/adapter';
import { CASES, haveShared, caseDir, compareClose, tensors } from '../helpers/fixtures';
import { ATOL, GRAD_ATOL, GRAD_RTOL, RTOL, batch, caseAdapter, caseModel, hfGrad, unmasked } from './peft-fixtures';

export function loraParitySuite(backend: BackendName): void {
  describe.skipIf(!haveShared(`LoRA parity with PEFT on ${backend}`))(`LoRA parity with PEFT on ${backend}`, () => {
    beforeAll(async () => {
      const got = await initBackend({ prefer: [backend] });
      expect(got.name).toBe(backend);
    });

    for (const c of CASES) {
      describe(c, () => {
        let model: Model, adapter: Adapter;
        const ref = (name: string) => tensors(path.join(caseDir(c), name));
        beforeAll(async () => {
          model = await caseModel(c);
          adapter = await caseAdapter(model, c, 'lora');
        });
        afterAll(() => {
          adapter?.dispose();
          model?.dispose();
        });

        it('logits and loss equal the PEFT model', async () => {
          const { labels, ...inp } = batch(c);
          const out = await ref('lora_outputs.safetensors');
          const want = await out.float32('logits');
          const got = adapterForward(model, adapter, inp, { labels });
          expect(got.logits!.shape).toEqual(want.shape);
          const d = compareClose((await got.logits!.data()) as Float32Array, want.data, ATOL, RTOL, unmasked(inp.attentionMask, model.config.vocabSize));
          const loss = causalLmLoss(got.logits!, got.labels!);
          const lv = (await loss.data())[0];
          tf.dispose([got.logits!, loss]);
          console.log(`[${backend}] ${c} LoRA logits max |Δ| ${d.maxAbs.toExponential(2)}`);
          expect(d.worst, `max |Δ| ${d.maxAbs}`).toBeLessThanOrEqual(0);
          const wantLoss = (await out.float32('loss')).data[0];
          expect(Math.abs(lv - wantLoss)).toBeLessThanOrEqual(RTOL * Math.abs(wantLoss));
        });

        it('gradients of the loss for every lora_A / lora_B equal PEFT\'s', async () => {
          const { labels, ...inp } = batch(c);
          const file = await ref('lora_grads.safetensors');
          const before = tf.memory().numTensors;
          const { value, grads } = tf.variableGrads(() => causalLmLoss(adapterForward(model, adapter, inp, { train: true, labels }).logits!, labels) as tf.Scalar, trainableParams(adapter));
          const keys = [...adapter.params.keys()];
          expect(file.names().sort()).toEqual(keys.map((k) => `${k}.grad`).sort());
          let worst = 0;
          for (const k of keys) {
            const v = adapter.params.get(k)!;
            const g = grads[v.name];
            const want = await file.float32(`${k}.grad`);
            const d = compareClose(await hfGrad(k, g), want.data, GRAD_ATOL, GRAD_RTOL);
            worst = Math.max(worst, d.maxAbs);
            expect(d.worst, `${k}: max |Δ| ${d.maxAbs}`).toBeLessThanOrEqual(0);
          }
          tf.dispose([value, ...Object.values(grads)]);
          console.log(`[${backend}] ${c} LoRA grads max |Δ| ${worst.toExponential(2)}`);
          expect(tf.memory().numTensors).toBe(before);
        });

        it('leaks no tensors in the forward', () => {
          const { labels, ...inp } = batch(c);
          const before = tf.memory().numTensors;
          const out = adapterForward(model, adapter, inp, { labels });
          out.logits!.dispose();
          expect(tf.memory().numTensors).toBe(before);
        });
      });
    }
  });
}
