/**
 * Prompt tuning, prefix tuning and IA3 against peft 0.13 on llama-gqa (fixtures part e), on one backend: PEFT's adapter files
 * through adapter-io give PEFT's logits (atol 1e-4 + rtol 1e-4 where the extended mask is 1) and loss (rtol 1e-4).
 * Gradients have no fixture, so they are checked against central finite differences of the loss; decoding from
 * primeGeneration's cache reproduces the full-sequence logits; IA3 merges and unmerges; nothing leaks.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { initBackend, type BackendName } from '../../src/platform/backend';
import { forward } from '../../src/model/transformer';
import { disposeCache } from '../../src/model/kv-cache';
import type { Model, TensorLayerCache } from '../../src/model/types';
import { causalLmLoss } from '../../src/train/loss';
import { adapterForward, primeGeneration, trainableParams, type Adapter } from '../../src/peft/adapter';
import { mergeAdapter, unmergeAdapter } from '../../src/peft/merge';
import { extendMask } from '../../src/peft/prompt';
import { haveShared, caseDir, compareClose, tensors } from '../helpers/fixtures';
import { ATOL, RTOL, batch, caseAdapter, caseModel, unmasked } from './peft-fixtures';

const C = 'llama-gqa';
const V = 320;

async function lossOf(model: Model, adapter: Adapter): Promise<number> {
  const { labels, ...inp } = batch(C);
  const l = tf.tidy(() => {
    const out = adapterForward(model, adapter, inp, { labels });
    return causalLmLoss(out.logits!, out.labels!);
  });
  const v = (await l.data())[0];
  l.dispose();
  return v;
}

/** Analytic gradient of the loss vs central differences at a few entries of every parameter. */
async function checkGradients(model: Model, adapter: Adapter): Promise<number> {
  const { labels, ...inp } = batch(C);
  const { value, grads } = tf.variableGrads(() => {
    const out = adapterForward(model, adapter, inp, { train: true, labels });
    return causalLmLoss(out.logits!, out.labels!) as tf.Scalar;
  }, trainableParams(adapter));
  value.dispose();
  let worst = 0;
  for (const v of trainableParams(adapter)) {
    const g = (await grads[v.name].data()) as Float32Array;
    expect(g.every(Number.isFinite)).toBe(true);
    expect(g.some((x) => x !== 0)).toBe(true);
    const orig = Float32Array.from((await v.data()) as Float32Array);
    for (const i of [0, Math.floor(orig.length / 3), orig.length - 1]) {
      const eps = 1e-2;
      const at = async (d: number) => {
        const p = Float32Array.from(orig);
        p[i] += d;
        tf.tidy(() => v.assign(tf.tensor(p, v.shape)));
        return lossOf(model, adapter);
      };
      const fd = ((await at(eps)) - (await at(-eps))) / (2 * eps);
      worst = Math.max(worst, Math.abs(fd - g[i]));
      expect(Math.abs(fd - g[i]), `${v.name}[${i}]: finite difference ${fd} vs ${g[i]}`).toBeLessThanOrEqual(2e-4 + 2e-2 * Math.abs(g[i]));
    }
    tf.tidy(() => v.assign(tf.tensor(orig, v.shape)));
  }
  tf.dispose(Object.values(grads));
  return worst;
}

export function promptPrefixIa3Suite(backend: BackendName): void {
describe.skipIf(!haveShared(`prompt tuning, prefix tuning, IA3 as PEFT (llama-gqa, ${backend})`))(`prompt tuning, prefix tuning, IA3 as PEFT (llama-gqa, ${backend})`, () => {
  let model: Model;
  const ref = (name: string) => tensors(path.join(caseDir(C), name));
  beforeAll(async () => {
    const got = await initBackend({ prefer: [backend] });
    expect(got.name).toBe(backend);
    model = await caseModel(C);
  });
  afterAll(() => model?.dispose());

  describe('prompt tuning', () => {
    let adapter: Adapter;
    beforeAll(async () => { adapter = await caseAdapter(model, C, 'prompt_tuning'); });
    afterAll(() => adapter?.dispose());

    it('logits [2,16,320] (virtual positions first) and loss equal PEFT\'s', async () => {
      const { labels, ...inp } = batch(C);
      const file = await ref('prompt_tuning_outputs.safetensors');
      const want = await file.float32('logits');
      const before = tf.memory().numTensors;
      const out = adapterForward(model, adapter, inp, { labels });
      expect(out.logits!.shape).toEqual([2, 16, V]);
      expect(want.shape).toEqual([2, 16, V]);
      expect(Array.from(out.attentionMask.subarray(16, 24))).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
      expect(Array.from(out.labels!.subarray(0, 4))).toEqual([-100, -100, -100, -100]);
      const d = compareClose((await out.logits!.data()) as Float32Array, want.data, ATOL, RTOL, unmasked(out.attentionMask, V));
      const loss = causalLmLoss(out.logits!, out.labels!);
      const lv = (await loss.data())[0];
      tf.dispose([out.logits!, loss]);
      expect(tf.memory().numTensors).toBe(before);
      console.log(`[${backend}] prompt tuning logits max |Δ| ${d.maxAbs.toExponential(2)}`);
      expect(d.worst, `max |Δ| ${d.maxAbs}`).toBeLessThanOrEqual(0);
      const wl = (await file.float32('loss')).data[0];
      expect(Math.abs(lv - wl)).toBeLessThanOrEqual(RTOL * Math.abs(wl));
    });

    it('gradient reaches prompt_embeddings (finite differences)', async () => {
      console.log(`[${backend}] prompt tuning grad vs FD max |Δ| ${(await checkGradients(model, adapter)).toExponential(2)}`);
    });

    it('decoding from primeGeneration\'s cache gives the real-token logits', async () => {
      const { labels: _l, ...inp } = batch(C);
      const want = await (await ref('prompt_tuning_outputs.safetensors')).float32('logits');
      const before = tf.memory().numTensors;
      const primed = primeGeneration(model, adapter, 2)!;
      expect(primed.prefixLength).toBe(4);
      const mask = extendMask(4, 2, 12, inp.attentionMask); // [1 x 4 ; mask]
      const out = forward(model, { ids: inp.ids, B: 2, T: 12, attentionMask: mask }, { cache: primed.cache });
      const got = (await out.logits!.data()) as Float32Array;
      out.logits!.dispose();
      disposeCache(primed.cache);
      expect(tf.memory().numTensors).toBe(before);
      // Row b, real position t of ours is position 4 + t of PEFT's [2,16,V] logits.
      const sub = new Float32Array(2 * 12 * V);
      for (let b = 0; b < 2; b++) sub.set(want.data.subarray((b * 16 + 4) * V, (b * 16 + 16) * V), b * 12 * V);
      const d = compareClose(got, sub, ATOL, RTOL, unmasked(inp.attentionMask, V));
      expect(d.worst, `max |Δ| ${d.maxAbs}`).toBeLessThanOrEqual(0);
    });
  });

  describe('prefix tuning', () => {
    let adapter: Adapter;
    beforeAll(async () => { adapter = await caseAdapter(model, C, 'prefix_tuning'); });
    afterAll(() => adapter?.dispose());

    it('logits [2,12,320] and loss equal PEFT\'s (positions 4..15, no RoPE on the prefix)', async () => {
      const { labels, ...inp } = batch(C);
      const file = await ref('prefix_tuning_outputs.safetensors');
      const before = tf.memory().numTensors;
      const out = adapterForward(model, adapter, inp, { labels });
      expect(out.logits!.shape).toEqual([2, 12, V]);
      const d = compareClose((await out.logits!.data()) as Float32Array, (await file.float32('logits')).data, ATOL, RTOL, unmasked(inp.attentionMask, V));
      const loss = causalLmLoss(out.logits!, labels);
      const lv = (await loss.data())[0];
      tf.dispose([out.logits!, loss]);
      expect(tf.memory().numTensors).toBe(before);
      console.log(`[${backend}] prefix tuning logits max |Δ| ${d.maxAbs.toExponential(2)}`);
      expect(d.worst, `max |Δ| ${d.maxAbs}`).toBeLessThanOrEqual(0);
      const wl = (await file.float32('loss')).data[0];
      expect(Math.abs(lv - wl)).toBeLessThanOrEqual(RTOL * Math.abs(wl));
    });

    it('gradient flows through the cache concat to prompt_embeddings (finite differences)', async () => {
      console.log(`[${backend}] prefix tuning grad vs FD max |Δ| ${(await checkGradients(model, adapter)).toExponential(2)}`);
    });

    it('primeGeneration gives the prefix cache; decoding from it equals the full forward', async () => {
      const { labels: _l, ...inp } = batch(C);
      const want = (await (await ref('prefix_tuning_outputs.safetensors')).float32('logits')).data;
      const before = tf.memory().numTensors;
      const primed = primeGeneration(model, adapter, 2)!;
      expect(primed.cache.length).toBe(4);
      expect((primed.cache.layers[0] as TensorLayerCache).k.shape).toEqual([2, 2, 4, 16]);
      const mask = extendMask(4, 2, 12, inp.attentionMask);
      const out = forward(model, { ids: inp.ids, B: 2, T: 12, attentionMask: mask }, { cache: primed.cache });
      const d = compareClose((await out.logits!.data()) as Float32Array, want, ATOL, RTOL, unmasked(inp.attentionMask, V));
      out.logits!.dispose();
      disposeCache(primed.cache);
      expect(tf.memory().numTensors).toBe(before);
      expect(d.worst, `max |Δ| ${d.maxAbs}`).toBeLessThanOrEqual(0);
    });
  });

  describe('IA3', () => {
    let adapter: Adapter;
    beforeAll(async () => { adapter = await caseAdapter(model, C, 'ia3'); });
    afterAll(() => adapter?.dispose());

    it('logits and loss equal PEFT\'s; k/v scale outputs, down_proj scales inputs', async () => {
      const { labels, ...inp } = batch(C);
      const file = await ref('ia3_outputs.safetensors');
      expect([...adapter.modules.values()].map((m) => [m.ours, m.kind === 'ia3' && m.feedforward]).sort()).toEqual([
        ['layers.0.down', true], ['layers.0.k', false], ['layers.0.v', false], ['layers.1.down', true], ['layers.1.k', false], ['layers.1.v', false],
      ]);
      const before = tf.memory().numTensors;
      const out = adapterForward(model, adapter, inp, { labels });
      const d = compareClose((await out.logits!.data()) as Float32Array, (await file.float32('logits')).data, ATOL, RTOL, unmasked(inp.attentionMask, V));
      const loss = causalLmLoss(out.logits!, labels);
      const lv = (await loss.data())[0];
      tf.dispose([out.logits!, loss]);
      expect(tf.memory().numTensors).toBe(before);
      console.log(`[${backend}] IA3 logits max |Δ| ${d.maxAbs.toExponential(2)}`);
      expect(d.worst, `max |Δ| ${d.maxAbs}`).toBeLessThanOrEqual(0);
      const wl = (await file.float32('loss')).data[0];
      expect(Math.abs(lv - wl)).toBeLessThanOrEqual(RTOL * Math.abs(wl));
    });

    it('gradient reaches every ia3_l (finite differences)', async () => {
      console.log(`[${backend}] IA3 grad vs FD max |Δ| ${(await checkGradients(model, adapter)).toExponential(2)}`);
    });

    it('merge gives the IA3 logits with the plain forward; unmerge restores the base', async () => {
      const { labels: _l, ...inp } = batch(C);
      const keep = unmasked(inp.attentionMask, V);
      const before = tf.memory().numTensors;
      await mergeAdapter(model, adapter, { safe: true });
      const out = forward(model, inp);
      const d = compareClose((await out.logits!.data()) as Float32Array, (await (await ref('ia3_outputs.safetensors')).float32('logits')).data, ATOL, RTOL, keep);
      out.logits!.dispose();
      expect(d.worst, `merged max |Δ| ${d.maxAbs}`).toBeLessThanOrEqual(0);
      unmergeAdapter(model, adapter);
      const base = forward(model, inp);
      const d2 = compareClose((await base.logits!.data()) as Float32Array, (await (await ref('base_outputs.safetensors')).float32('logits')).data, ATOL, RTOL, keep);
      base.logits!.dispose();
      expect(d2.worst, `unmerged max |Δ| ${d2.maxAbs}`).toBeLessThanOrEqual(0);
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});
}
