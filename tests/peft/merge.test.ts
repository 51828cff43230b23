/**
 * merge / unmerge / safe merge against peft 0.13's merge_and_unload (fixtures part d), every case, cpu: the merged
 * weights in HF names and layout equal lora_merged_weights.safetensors (and nothing else changes), merged logits
 * equal `merged_logits`, unmerge gives back the base logits, a NaN in B makes safe merge throw with the base untouched,
 * and no tensor leaks.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { initBackend } from '../../src/platform/backend';
import { forward } from '../../src/model/transformer';
import type { Model } from '../../src/model/types';
import { adapterForward, type Adapter } from '../../src/peft/adapter';
import { mergeAdapter, mergedHfWeights, MergeError, unmergeAdapter } from '../../src/peft/merge';
import { CASES, haveShared, caseDir, compareClose, readJson, tensors } from '../helpers/fixtures';
import { ATOL, RTOL, batch, caseAdapter, caseModel, unmasked } from './peft-fixtures';

async function logitsOf(model: Model, adapter: Adapter | null, c: string): Promise<Float32Array> {
  const { labels: _l, ...inp } = batch(c);
  const out = adapter ? adapterForward(model, adapter, inp) : forward(model, inp);
  const data = (await out.logits!.data()) as Float32Array;
  out.logits!.dispose();
  return data;
}

describe.skipIf(!haveShared('merge / unmerge LoRA as PEFT (cpu)'))('merge / unmerge LoRA as PEFT (cpu)', () => {
  beforeAll(async () => {
    await initBackend({ prefer: ['cpu'] });
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

      it('merge changes exactly PEFT\'s tensors, to PEFT\'s values; merged logits equal merged_logits; unmerge restores the base', async () => {
        const { attentionMask } = batch(c);
        const keep = unmasked(attentionMask, model.config.vocabSize);
        const before = tf.memory().numTensors;
        const base = await mergedHfWeights(model);
        await mergeAdapter(model, adapter);
        expect(adapter.merged).toBe(true);
        const merged = await mergedHfWeights(model);
        const changed = Object.keys(merged).filter((k) => merged[k].data.some((v, i) => v !== base[k].data[i])).sort();
        const meta = readJson<{ merged_changed_tensors: string[] }>(path.join(caseDir(c), 'meta.json'));
        expect(changed).toEqual([...meta.merged_changed_tensors].sort());
        const file = await ref('lora_merged_weights.safetensors');
        for (const name of file.names()) {
          const want = await file.float32(name);
          expect(merged[name].shape).toEqual(want.shape);
          const d = compareClose(merged[name].data, want.data, 1e-6, 1e-5);
          expect(d.worst, `${name}: max |Δ| ${d.maxAbs}`).toBeLessThanOrEqual(0);
        }
        // Merged: the hook adds nothing, so the adapter forward and the plain forward agree.
        const wantMerged = (await (await ref('lora_outputs.safetensors')).float32('merged_logits')).data;
        for (const got of [await logitsOf(model, adapter, c), await logitsOf(model, null, c)]) {
          const d = compareClose(got, wantMerged, ATOL, RTOL, keep);
          expect(d.worst, `merged logits max |Δ| ${d.maxAbs}`).toBeLessThanOrEqual(0);
        }
        unmergeAdapter(model, adapter);
        expect(adapter.merged).toBe(false);
        const wantBase = (await (await ref('base_outputs.safetensors')).float32('logits')).data;
        const d = compareClose(await logitsOf(model, null, c), wantBase, ATOL, RTOL, keep);
        expect(d.worst, `unmerged base logits max |Δ| ${d.maxAbs}`).toBeLessThanOrEqual(0);
        const restored = await mergedHfWeights(model);
        for (const k of changed) expect(compareClose(restored[k].data, base[k].data, 1e-6, 0).worst, k).toBeLessThanOrEqual(0);
        const wantLora = (await (await ref('lora_outputs.safetensors')).float32('logits')).data;
        expect(compareClose(await logitsOf(model, adapter, c), wantLora, ATOL, RTOL, keep).worst).toBeLessThanOrEqual(0);
        expect(tf.memory().numTensors).toBe(before);
      });

      it('safe merge with a NaN in B throws and leaves every weight untouched', async () => {
        const key = [...adapter.params.keys()].filter((k) => k.endsWith('lora_B.weight')).at(-1)!;
        const b = adapter.params.get(key)!;
        const saved = tf.clone(b);
        const poisoned = Float32Array.from((await b.data()) as Float32Array);
        poisoned[3] = NaN;
        tf.tidy(() => b.assign(tf.tensor(poisoned, b.shape)));
        const before = await mergedHfWeights(model);
        const n = tf.memory().numTensors;
        await expect(mergeAdapter(model, adapter, { safe: true })).rejects.toThrow(MergeError);
        await expect(mergeAdapter(model, adapter, { safe: true })).rejects.toThrow(/NaN or Inf in the merged weight/);
        expect(tf.memory().numTensors).toBe(n);
        expect(adapter.merged).toBe(false);
        const after = await mergedHfWeights(model);
        for (const k of Object.keys(before)) expect(after[k].data).toEqual(before[k].data);
        b.assign(saved);
        saved.dispose();
        // The repaired adapter merges safely.
        await mergeAdapter(model, adapter, { safe: true });
        unmergeAdapter(model, adapter);
      });
    });
  }
});
