/**
 * P-tuning against peft 0.13's PromptEncoder (fixtures llama-gqa part f), MLP and LSTM, on cpu and wasm: with the
 * encoder weights PEFT initialised (p_tuning*_encoder.safetensors), the virtual-token embeddings equal
 * `prompt_embeddings`, the logits [2, 16, 320] and the loss equal PEFT's, and the gradient of that loss for every
 * encoder parameter and for the encoder output equals `*_grads`. Saving writes only `prompt_embeddings` and PEFT's
 * adapter_config.json fields; PEFT's own p_tuning and p_tuning_lstm folders load (as prompt tuning), same logits,
 * also when decoding from a cache primed with the virtual tokens.
 * Tolerances: embeddings and logits atol 1e-4 + rtol 1e-4 (unmasked), loss rtol 1e-4, gradients atol 1e-5 + rtol 1e-3.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { initBackend, type BackendName } from '../../src/platform/backend';
import type { Model } from '../../src/model/types';
import { causalLmLoss } from '../../src/train/loss';
import { adapterForward, primeGeneration, trainableParams, type Adapter } from '../../src/peft/adapter';
import { forward } from '../../src/model/transformer';
import { disposeCache } from '../../src/model/kv-cache';
import { attachPTuning, pTuningEmbeddings } from '../../src/peft/p-tuning';
import { extendLabels } from '../../src/peft/prompt';
import { methodSpec } from '../../src/train/objective';
import { estimateMemory } from '../../src/train/estimate';
import { loadAdapter, saveAdapter } from '../../src/peft/adapter-io';
import { bytesReader, SafetensorsFile } from '../../src/model/safetensors';
import { haveShared, caseDir, readJson } from '../helpers/fixtures';
import { ATOL, GRAD_ATOL, GRAD_RTOL, RTOL, adapterFiles, batch, caseModel, closeCheck } from './peft-fixtures';

const CASE = 'llama-gqa';
const file = (name: string) => SafetensorsFile.open(bytesReader(new Uint8Array(readFileSync(path.join(caseDir(CASE), name)))), name);

const close = closeCheck('p-tuning');

/** Real tokens of the extended (B, 4 + 12) sequence: the 4 virtual slots and every unpadded position. */
const keepExtended = (mask: Int32Array, V: number) => (i: number) => {
  const bt = Math.floor(i / V), b = Math.floor(bt / 16), t = bt % 16;
  return t < 4 || mask[b * 12 + t - 4] === 1;
};

for (const backend of ['cpu', 'wasm'] as BackendName[]) {
  describe.skipIf(!haveShared(`P-tuning parity on ${backend}`))(`P-tuning parity with PEFT on ${backend}`, () => {
    let model: Model;
    beforeAll(async () => {
      expect((await initBackend({ prefer: [backend] })).name).toBe(backend);
      model = await caseModel(CASE);
    });
    afterAll(() => model?.dispose());

    for (const [kind, sub] of [['MLP', 'p_tuning'], ['LSTM', 'p_tuning_lstm']] as const) {
      describe(kind, () => {
        let adapter: Adapter;
        beforeAll(async () => {
          const cfg = readJson<Record<string, unknown>>(path.join(caseDir(CASE), sub, 'adapter_config.json'));
          adapter = attachPTuning(model, { num_virtual_tokens: 4, encoder_reparameterization_type: kind, encoder_hidden_size: cfg.encoder_hidden_size as number });
          const enc = await file(`${sub}_encoder.safetensors`);
          expect(enc.names().sort()).toEqual([...adapter.params.keys()].sort()); // PEFT's keys and nothing else
          for (const [k, v] of adapter.params) {
            const t = await enc.float32(k);
            expect(t.shape).toEqual(v.shape);
            v.assign(tf.tensor(t.data, t.shape, 'float32'));
          }
        });
        afterAll(() => adapter?.dispose());

        it('virtual-token embeddings, logits and loss equal PEFT\'s', async () => {
          const out = await file(`${sub}_outputs.safetensors`);
          const emb = tf.tidy(() => pTuningEmbeddings(adapter));
          close(`${backend} ${kind} prompt_embeddings`, (await emb.data()) as Float32Array, (await out.float32('prompt_embeddings')).data, ATOL, RTOL);
          emb.dispose();
          const { labels, ...b } = batch(CASE);
          const got = adapterForward(model, adapter, b, { labels });
          const want = await out.float32('logits');
          expect(got.logits!.shape).toEqual(want.shape);
          close(`${backend} ${kind} logits`, (await got.logits!.data()) as Float32Array, want.data, ATOL, RTOL, keepExtended(b.attentionMask, 320));
          const loss = causalLmLoss(got.logits!, got.labels!);
          const lv = (await loss.data())[0];
          tf.dispose([got.logits!, loss]);
          const wantLoss = (await out.float32('loss')).data[0];
          console.log(`[p-tuning] ${backend} ${kind} loss ${lv} vs ${wantLoss}`);
          expect(Math.abs(lv - wantLoss)).toBeLessThanOrEqual(RTOL * wantLoss);
        });

        it('gradients of the loss for every encoder parameter and for the encoder output; no leaks', async () => {
          const grads = await file(`${sub}_grads.safetensors`);
          const { labels, ...b } = batch(CASE);
          const before = tf.memory().numTensors;
          const ext = extendLabels(4, 2, 12, labels); // (2, 16) with -100 on the virtual slots, as PEFT extends them
          const f = () => causalLmLoss(adapterForward(model, adapter, b, { train: true, labels }).logits!, ext) as tf.Scalar;
          const { value, grads: g } = tf.variableGrads(f, trainableParams(adapter));
          expect(grads.names().filter((k) => k !== 'prompt_embeddings.grad').sort()).toEqual([...adapter.params.keys()].map((k) => `${k}.grad`).sort());
          for (const [k, v] of adapter.params) close(`${backend} ${kind} ${k}.grad`, (await g[v.name].data()) as Float32Array, (await grads.float32(`${k}.grad`)).data, GRAD_ATOL, GRAD_RTOL);
          tf.dispose([value, ...Object.values(g)]);
          // dLoss/d(encoder output): the same loss through an adapter holding that output as its variable.
          const saved = await saveAdapter(adapter);
          const fixed = await loadAdapter(model, saved);
          const { value: v2, grads: g2 } = tf.variableGrads(() => causalLmLoss(adapterForward(model, fixed, b, { train: true, labels }).logits!, ext) as tf.Scalar, trainableParams(fixed));
          close(`${backend} ${kind} prompt_embeddings.grad`, (await g2[fixed.params.get('prompt_embeddings')!.name].data()) as Float32Array, (await grads.float32('prompt_embeddings.grad')).data, GRAD_ATOL, GRAD_RTOL);
          tf.dispose([v2, ...Object.values(g2)]);
          fixed.dispose();
          expect(tf.memory().numTensors).toBe(before);
        });

        it('the memory model counts the encoder\'s weights as trainable (MLP: 4x64 + 64x32+32 + 32x32+32 + 32x64+64 = 5504)', async () => {
          const enc = await file(`${sub}_encoder.safetensors`);
          const total = enc.names().reduce((n, k) => n + enc.header.tensors[k].shape.reduce((a, d) => a * d, 1), 0);
          if (kind === 'MLP') expect(total).toBe(5504);
          const spec = methodSpec(adapter);
          expect(spec).toEqual({ kind: 'prompt', virtualTokens: 4, encoderParams: total });
          expect(estimateMemory(model.config, spec, 2, 12).trainableParams).toBe(total);
        });

        it('saves only prompt_embeddings and PEFT\'s config; PEFT\'s own folder loads as prompt tuning with the same logits', async () => {
          const saved = await saveAdapter(adapter, { baseModelNameOrPath: '' });
          const st = await SafetensorsFile.open(bytesReader(saved.weights), 'adapter_model.safetensors');
          expect(st.names()).toEqual(['prompt_embeddings']);
          const peft = adapterFiles(CASE, sub);
          close(`${backend} ${kind} saved prompt_embeddings vs PEFT's file`, (await st.float32('prompt_embeddings')).data,
            (await (await SafetensorsFile.open(bytesReader(peft.weights), 'x')).float32('prompt_embeddings')).data, ATOL, RTOL);
          expect(JSON.parse(saved.config)).toEqual(JSON.parse(peft.config));
          const loaded = await loadAdapter(model, peft);
          expect([loaded.method, [...loaded.params.keys()]]).toEqual(['P_TUNING', ['prompt_embeddings']]);
          const { labels: _l, ...b } = batch(CASE);
          const got = adapterForward(model, loaded, b);
          close(`${backend} ${kind} logits from PEFT's folder`, (await got.logits!.data()) as Float32Array, (await (await file(`${sub}_outputs.safetensors`)).float32('logits')).data, ATOL, RTOL, keepExtended(b.attentionMask, 320));
          got.logits!.dispose();
          // Decoding primes a cache with the 4 virtual slots; row 0 (unpadded) then continues at positions 4..15.
          const primed = primeGeneration(model, loaded, 1)!;
          expect(primed.prefixLength).toBe(4);
          const ids = b.ids.subarray(0, 12);
          const dec = forward(model, { ids, B: 1, T: 12, attentionMask: new Int32Array(16).fill(1) }, { cache: primed.cache });
          const want = (await (await file(`${sub}_outputs.safetensors`)).float32('logits')).data.subarray(4 * 320, 16 * 320);
          close(`${backend} ${kind} row 0 logits after priming`, (await dec.logits!.data()) as Float32Array, want, ATOL, RTOL);
          dec.logits!.dispose();
          disposeCache(primed.cache);
          loaded.dispose();
        });
      });
    }
  });
}
