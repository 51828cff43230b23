/**
 * AdaLoRA against peft 0.13 on llama-gqa (fixtures part f), on one backend: PEFT's adalora/ files through adapter-io give
 * PEFT's logits, CE loss, orthogonal regulariser and total loss (adalora_outputs) and every lora_A/E/B gradient of the
 * total loss (adalora_grads); one RankAllocator step at global_step 5 with those gradients masks exactly PEFT's ranks
 * (adalora_allocate: lora_E, importance, ranknum 6); the save after it is adalora_allocated/ (keys, shapes, values,
 * config), and both that folder and our own save load back to logits_after_allocate.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { initBackend, type BackendName } from '../../src/platform/backend';
import { forward } from '../../src/model/transformer';
import type { Model } from '../../src/model/types';
import { causalLmLoss } from '../../src/train/loss';
import { adapterForward, trainableParams, type AdaLoraModule, type Adapter } from '../../src/peft/adapter';
import { loadAdapter, saveAdapter } from '../../src/peft/adapter-io';
import { orthRegularizer, withOrthRegularizer } from '../../src/peft/adalora';
import { RankAllocator } from '../../src/peft/adalora-allocate';
import { mergeAdapter, unmergeAdapter } from '../../src/peft/merge';
import { transpose2d } from '../../src/model/load';
import { bytesReader, SafetensorsFile } from '../../src/model/safetensors';
import { haveShared, caseDir, compareClose, readJson, tensors } from '../helpers/fixtures';
import { ATOL, GRAD_ATOL, GRAD_RTOL, RTOL, adapterFiles, batch, caseAdapter, caseModel, unmasked } from './peft-fixtures';

const C = 'llama-gqa';
const V = 320;
const MODULES = ['model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.1.self_attn.v_proj'];

/** A parameter or gradient in our layout -> PEFT's (lora_A [in,r] -> [r,in], lora_B [r,out] -> [out,r], lora_E [1,r] = [r,1]). */
async function hf(key: string, t: tf.Tensor): Promise<Float32Array> {
  const d = (await t.data()) as Float32Array;
  const [rows, cols] = t.shape as [number, number];
  return /lora_[AB]$/.test(key) ? transpose2d(d, rows, cols) : Float32Array.from(d);
}

/** `core`: only outputs, gradients and the allocation (the WebGPU file: SwiftShader is slow; save/load and merge are backend-free). */
export function adaloraSuite(backend: BackendName, opts: { core?: boolean } = {}): void {
describe.skipIf(!haveShared(`AdaLoRA as PEFT (llama-gqa, ${backend})`))(`AdaLoRA as PEFT (llama-gqa, ${backend})`, () => {
  let model: Model;
  let adapter: Adapter;
  let grads: Map<string, tf.Tensor>;
  const ref = (name: string) => tensors(path.join(caseDir(C), name));
  const logitsOf = async (a: Adapter | null) => {
    const { labels: _l, ...inp } = batch(C);
    const out = adapterForward(model, a, inp);
    const d = (await out.logits!.data()) as Float32Array;
    out.logits!.dispose();
    return d;
  };
  const keep = unmasked(batch(C).attentionMask, V);

  beforeAll(async () => {
    const got = await initBackend({ prefer: [backend] });
    expect(got.name).toBe(backend);
    model = await caseModel(C);
    adapter = await caseAdapter(model, C, 'adalora');
  });
  afterAll(() => {
    adapter?.dispose();
    if (grads) tf.dispose([...grads.values()]);
    model?.dispose();
  });

  it('SVD-form modules: A [6,64], E [6,1], B [out,6], scale 8 / (6 + 1e-5)', () => {
    const ms = [...adapter.modules.values()] as AdaLoraModule[];
    expect(ms.map((m) => [m.hf, m.kind, m.r, m.inDim, m.outDim]).sort()).toEqual([
      [MODULES[0], 'adalora', 6, 64, 64], [MODULES[1], 'adalora', 6, 64, 32], [MODULES[2], 'adalora', 6, 64, 64], [MODULES[3], 'adalora', 6, 64, 32],
    ]);
    for (const m of ms) expect(m.scaling).toBeCloseTo(8 / 6.00001, 6);
  });

  it('logits, CE loss, orth_reg and total loss (CE + 0.5 orth_reg) equal PEFT\'s', async () => {
    const { labels, ...inp } = batch(C);
    const file = await ref('adalora_outputs.safetensors');
    const before = tf.memory().numTensors;
    const out = adapterForward(model, adapter, inp, { labels });
    const d = compareClose((await out.logits!.data()) as Float32Array, (await file.float32('logits')).data, ATOL, RTOL, keep);
    const ce = causalLmLoss(out.logits!, labels);
    const reg = orthRegularizer(adapter);
    const total = withOrthRegularizer(adapter, ce);
    const [cv, rv, tv] = [(await ce.data())[0], (await reg.data())[0], (await total.data())[0]];
    tf.dispose([out.logits!, ce, reg, total]);
    expect(tf.memory().numTensors).toBe(before);
    const want = { ce: (await file.float32('ce_loss')).data[0], reg: (await file.float32('orth_reg')).data[0], total: (await file.float32('loss')).data[0] };
    console.log(`[${backend}] AdaLoRA logits max |Δ| ${d.maxAbs.toExponential(2)}; ce ${cv} (${want.ce}), orth_reg ${rv} (${want.reg}), loss ${tv} (${want.total})`);
    expect(d.worst, `max |Δ| ${d.maxAbs}`).toBeLessThanOrEqual(0);
    expect(Math.abs(cv - want.ce)).toBeLessThanOrEqual(RTOL * want.ce);
    expect(Math.abs(rv - want.reg)).toBeLessThanOrEqual(RTOL * want.reg);
    expect(Math.abs(tv - want.total)).toBeLessThanOrEqual(RTOL * want.total);
  });

  it('gradients of the total loss for every lora_A, lora_E, lora_B equal PEFT\'s', async () => {
    const { labels, ...inp } = batch(C);
    const params = trainableParams(adapter);
    const { value, grads: g } = tf.variableGrads(() => {
      const out = adapterForward(model, adapter, inp, { train: true, labels });
      return withOrthRegularizer(adapter, causalLmLoss(out.logits!, labels)) as tf.Scalar;
    }, params);
    value.dispose();
    const byVar = new Map([...adapter.params].map(([k, v]) => [v.name, k]));
    grads = new Map(Object.entries(g).map(([n, t]) => [byVar.get(n)!, t]));
    const file = await ref('adalora_grads.safetensors');
    expect(file.names().sort()).toEqual([...adapter.params.keys()].map((k) => `${k}.grad`).sort());
    const report: string[] = [];
    for (const [key, t] of grads) {
      const want = await file.float32(`${key}.grad`);
      const d = compareClose(await hf(key, t), want.data, GRAD_ATOL, GRAD_RTOL);
      report.push(`${key.replace('base_model.model.model.layers.', 'L').replace('.self_attn.', '.')} ${d.maxAbs.toExponential(2)}`);
      expect(d.worst, `${key}: max |Δ| ${d.maxAbs}`).toBeLessThanOrEqual(0);
    }
    console.log(`[${backend}] AdaLoRA grad max |Δ|: ${report.join(', ')}`);
  });

  it('update_and_allocate(5) with those gradients masks PEFT\'s 7 ranks of 24 (budget 17); ranknum stays 6', async () => {
    expect(grads, 'runs after the gradient test').toBeDefined();
    const meta = readJson<{ adalora: { update_and_allocate: { budget: number; mask_threshold: number } } }>(path.join(caseDir(C), 'meta_more_peft.json')).adalora.update_and_allocate;
    const alloc = new RankAllocator(adapter);
    expect([alloc.initBgt, alloc.targetBgt]).toEqual([24, 16]);
    const before = tf.memory().numTensors;
    const r = await alloc.updateAndAllocate(5, grads);
    expect(r.budget).toBe(meta.budget);
    expect(r.masked).toBe(true);
    expect(Math.abs(r.threshold! - meta.mask_threshold)).toBeLessThanOrEqual(1e-3 * meta.mask_threshold);
    const file = await ref('adalora_allocate.safetensors');
    const report: string[] = [];
    for (const m of adapter.modules.values() as Iterable<AdaLoraModule>) {
      const key = `base_model.model.${m.hf}`;
      const wantE = (await file.float32(`${key}.lora_E`)).data;
      const gotE = (await m.e.data()) as Float32Array;
      expect(Array.from(gotE).map((v) => v === 0), `${m.hf} mask`).toEqual(Array.from(wantE).map((v) => v === 0));
      const dE = compareClose(gotE, wantE, 1e-6, 0);
      const wantI = (await file.float32(`${key}.importance`)).data;
      const dI = compareClose(r.scores!.get(m.ours)!, wantI, 0, 1e-3);
      report.push(`${m.ours} E ${dE.maxAbs.toExponential(2)} importance ${dI.maxAbs.toExponential(2)}`);
      expect(dE.worst).toBeLessThanOrEqual(0);
      expect(dI.worst, `${m.hf} importance`).toBeLessThanOrEqual(0);
      expect(m.initR).toBe((await file.float32(`${key}.ranknum`)).data[0]);
    }
    console.log(`[${backend}] AdaLoRA allocate max |Δ|: ${report.join(', ')}`);
    alloc.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const pattern = readJson<{ rank_pattern: Record<string, boolean[]> }>(path.join(caseDir(C), 'adalora_allocated/adapter_config.json')).rank_pattern;
    expect((adapter.config as { rank_pattern: unknown }).rank_pattern).toEqual(pattern);
    const d = compareClose(await logitsOf(adapter), (await (await ref('adalora_outputs.safetensors')).float32('logits_after_allocate')).data, ATOL, RTOL, keep);
    console.log(`[${backend}] AdaLoRA threshold ${r.threshold!.toExponential(6)} (PEFT ${meta.mask_threshold.toExponential(6)}); logits_after_allocate max |Δ| ${d.maxAbs.toExponential(2)}`);
    expect(d.worst, `logits after allocate max |Δ| ${d.maxAbs}`).toBeLessThanOrEqual(0);
  });

  it.skipIf(opts.core)('save after the allocation writes adalora_allocated/: kept ranks only, rank_pattern in the config', async () => {
    expect((adapter.config as { rank_pattern: unknown }).rank_pattern, 'runs after the allocation test').not.toBeNull();
    const files = await saveAdapter(adapter, { baseModelNameOrPath: '' });
    const want = adapterFiles(C, 'adalora_allocated');
    const got = JSON.parse(files.config), wantCfg = JSON.parse(want.config);
    expect(Object.keys(got).sort()).toEqual(Object.keys(wantCfg).sort());
    for (const k of Object.keys(wantCfg)) if (k !== 'target_modules') expect(got[k], k).toEqual(wantCfg[k]);
    expect([...got.target_modules].sort()).toEqual([...wantCfg.target_modules].sort());
    const ours = await SafetensorsFile.open(bytesReader(files.weights), 'ours');
    const theirs = await SafetensorsFile.open(bytesReader(want.weights), 'adalora_allocated');
    expect(ours.names().sort()).toEqual(theirs.names().sort());
    let worst = 0;
    for (const k of theirs.names()) {
      const [a, b] = [await ours.float32(k), await theirs.float32(k)];
      expect(a.shape, k).toEqual(b.shape);
      worst = Math.max(worst, compareClose(a.data, b.data, 0, 0).maxAbs);
    }
    expect(worst).toBe(0); // the values are PEFT's own, unchanged by the allocation (E masked to exact zeros)
    // Our save loads back to the allocated model's logits.
    const back = await loadAdapter(model, files);
    expect(([...back.modules.values()] as AdaLoraModule[]).sort((x, y) => x.hf.localeCompare(y.hf)).map((m) => m.r)).toEqual([4, 5, 4, 4]);
    const d = compareClose(await logitsOf(back), (await (await ref('adalora_outputs.safetensors')).float32('logits_after_allocate')).data, ATOL, RTOL, keep);
    back.dispose();
    expect(d.worst, `reloaded max |Δ| ${d.maxAbs}`).toBeLessThanOrEqual(0);
  });

  it.skipIf(opts.core)('PEFT\'s adalora_allocated/ loads resized (r 4,5,4,4, ranknum 6) to logits_after_allocate; merge gives them too', async () => {
    const a = await caseAdapter(model, C, 'adalora_allocated');
    const ms = ([...a.modules.values()] as AdaLoraModule[]).sort((x, y) => x.hf.localeCompare(y.hf));
    expect(ms.map((m) => [m.r, m.initR])).toEqual([[4, 6], [5, 6], [4, 6], [4, 6]]);
    for (const m of ms) expect(m.scaling).toBeCloseTo(8 / 6.00001, 6);
    expect(() => new RankAllocator(a)).toThrow(/loaded resized to 4 of 6 ranks/); // PEFT loads these for inference
    const want = (await (await ref('adalora_outputs.safetensors')).float32('logits_after_allocate')).data;
    const d = compareClose(await logitsOf(a), want, ATOL, RTOL, keep);
    console.log(`[${backend}] AdaLoRA adalora_allocated/ logits max |Δ| ${d.maxAbs.toExponential(2)}`);
    expect(d.worst, `max |Δ| ${d.maxAbs}`).toBeLessThanOrEqual(0);
    const before = tf.memory().numTensors;
    await mergeAdapter(model, a, { safe: true });
    const { labels: _l, ...inp } = batch(C);
    const out = forward(model, inp);
    const dm = compareClose((await out.logits!.data()) as Float32Array, want, ATOL, RTOL, keep);
    out.logits!.dispose();
    unmergeAdapter(model, a);
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
    expect(dm.worst, `merged max |Δ| ${dm.maxAbs}`).toBeLessThanOrEqual(0);
  });
});
}
