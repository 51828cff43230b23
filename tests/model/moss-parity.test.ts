/**
 * MOSS (moss-moon-003, OpenLMLab modeling_moss.py) against the fixture case `moss`, written by that remote code and
 * peft 0.13, on cpu and wasm: logits (default positions, positions from the mask, row 1 unpadded), hidden states,
 * the loss (plain and through the chunked head with its bias), greedy tokens and step logits with and without the KV
 * cache, and LoRA on the fused qkv_proj (logits, loss, every gradient); on cpu also the merged weights and int8
 * quantize-at-load. Tolerances are the fixture README's: logits atol 1e-4 + rtol 1e-4 at unmasked positions, loss
 * rtol 1e-4, gradients atol 1e-5 + rtol 1e-3. What it pins: the [q | v | k] chunk order of mp_num = 4, GPT-J rotary
 * on the first rotary_dim = 8 of 16 dims, the parallel block, the lm_head bias.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { initBackend, type BackendName } from '../../src/platform/backend';
import { loadModel } from '../../src/model/load';
import { forward } from '../../src/model/transformer';
import { causalLmLoss, chunkedCausalLmLoss } from '../../src/train/loss';
import { folderSource } from '../../src/node/fs-source';
import { generateAll } from '../../src/generate/generate';
import { adapterForward, trainableParams, type Adapter } from '../../src/peft/adapter';
import { mergeAdapter, mergedHfWeights } from '../../src/peft/merge';
import { adapterTensors } from '../../src/peft/adapter-io';
import { exportLoraGguf } from '../../src/peft/gguf';
import { GgufExportError } from '../../src/peft/gguf-names';
import { createQuantizer } from '../../src/quant';
import type { Model } from '../../src/model/types';
import { haveShared, caseDir, flat, inputs, readJson, tensors } from '../helpers/fixtures';
import { ATOL, GRAD_ATOL, GRAD_RTOL, RTOL, batch, caseAdapter, hfGrad, unmasked, closeCheck, take, type Generation } from '../peft/peft-fixtures';

const CASE = 'moss';
const dir = () => caseDir(CASE);
const ref = (file: string) => tensors(path.join(dir(), file));
const load = (opts = {}) => loadModel(folderSource(path.join(dir(), 'model')), opts);

const close = closeCheck('moss');

for (const backend of ['cpu', 'wasm'] as BackendName[]) {
  describe.skipIf(!haveShared(`MOSS parity on ${backend}`))(`MOSS parity on ${backend}`, () => {
    let model: Model;
    const inp = () => inputs(CASE);
    const keep = (V: number) => unmasked(flat(inp().attention_mask), V);
    beforeAll(async () => {
      expect((await initBackend({ prefer: [backend] })).name).toBe(backend);
      model = await load();
    });
    afterAll(() => model?.dispose());

    it('config: rotary_dim 8, interleaved pairs, parallel block, head bias, causal_mask buffers ignored', () => {
      const c = model.config;
      expect([c.family, c.rotaryDim, c.ropeStyle, c.parallelBlock, c.tieEmbeddings]).toEqual(['moss', 8, 'interleaved', true, false]);
      expect(model.weights.get('lm_head.b')!.shape).toEqual([320]);
      expect([...model.weights.keys()].some((k) => k.includes('causal_mask'))).toBe(false);
    });

    it('logits: default positions, positions from the mask, row 1 unpadded', async () => {
      const file = await ref('base_outputs.safetensors');
      const V = model.config.vocabSize;
      const base = { ids: flat(inp().input_ids), B: 2, T: 12, attentionMask: flat(inp().attention_mask) };
      close(`${backend} logits`, await take(forward(model, base).logits!), (await file.float32('logits')).data, ATOL, RTOL, keep(V));
      close(`${backend} logits_position_ids_from_mask`, await take(forward(model, { ...base, positionIds: flat(inp().position_ids_from_mask) }).logits!),
        (await file.float32('logits_position_ids_from_mask')).data, ATOL, RTOL, keep(V));
      const row1 = Int32Array.from(inp().input_ids[1].filter((_, t) => inp().attention_mask[1][t] === 1));
      close(`${backend} logits_row1_unpadded`, await take(forward(model, { ids: row1, B: 1, T: row1.length }).logits!), (await file.float32('logits_row1_unpadded')).data, ATOL, RTOL);
    });

    it('hidden states (embeddings, layer 0, after ln_f) and the loss, plain and chunked; no leaks', async () => {
      const file = await ref('base_outputs.safetensors');
      const want = await file.float32('hidden_states'); // (3, B, T, C)
      const before = tf.memory().numTensors;
      const base = { ids: flat(inp().input_ids), B: 2, T: 12, attentionMask: flat(inp().attention_mask) };
      const out = forward(model, base, { outputHidden: true });
      const mine = new Float32Array(want.data.length);
      for (const [i, h] of out.hidden!.entries()) mine.set(await take(h), i * h.size);
      out.logits!.dispose();
      const C = model.config.hidden, mask = flat(inp().attention_mask);
      close(`${backend} hidden_states`, mine, want.data, ATOL, RTOL, (i) => mask[Math.floor((i % (24 * C)) / C)] === 1);
      const wantLoss = (await file.float32('loss')).data[0];
      const labels = flat(inp().labels);
      const plain = (await take(tf.tidy(() => causalLmLoss(forward(model, base).logits!, labels))))[0];
      const chunked = (await take(tf.tidy(() => chunkedCausalLmLoss(model, forward(model, base, { skipHead: true }).finalHidden!, labels, 5))))[0];
      console.log(`[moss] ${backend} loss ${plain} / chunked ${chunked} vs ${wantLoss}`);
      expect(Math.abs(plain - wantLoss)).toBeLessThanOrEqual(RTOL * wantLoss);
      expect(Math.abs(chunked - wantLoss)).toBeLessThanOrEqual(RTOL * wantLoss);
      expect(tf.memory().numTensors).toBe(before);
    });

    for (const useCache of [true, false]) {
      it(`greedy tokens and step logits, single prompt and left-padded batch, ${useCache ? 'KV cache' : 'no cache'}`, async () => {
        const gen = readJson<Generation>(path.join(dir(), 'generation.json'));
        const file = await ref('base_outputs.safetensors');
        for (const [prompt, mask, want, stepsKey] of [
          [inp().gen_prompt, undefined, useCache ? gen.new_tokens_use_cache : gen.new_tokens, 'gen_step_logits'],
          [inp().gen_batch_prompt, inp().gen_batch_mask, useCache ? gen.batch_new_tokens_use_cache : gen.batch_new_tokens, 'gen_batch_step_logits'],
        ] as const) {
          const steps: Float32Array[] = [];
          const r = await generateAll(model, { ids: prompt as number[][], attentionMask: mask as number[][] | undefined }, { maxNewTokens: 8, eosTokenIds: [], useCache }, { onLogits: (_s, l) => steps.push(l.slice()) });
          expect(r.tokens).toEqual(want);
          const all = new Float32Array(steps.reduce((n, s) => n + s.length, 0));
          let o = 0;
          for (const s of steps) { all.set(s, o); o += s.length; }
          close(`${backend} ${stepsKey}${useCache ? '_use_cache' : ''}`, all, (await file.float32(stepsKey)).data, ATOL, RTOL);
        }
      });
    }

    describe('LoRA on the fused qkv_proj (PEFT 0.13)', () => {
      let adapter: Adapter;
      beforeAll(async () => {
        adapter = await caseAdapter(model, CASE, 'lora');
      });
      afterAll(() => adapter?.dispose());

      it('logits and loss equal the PEFT model', async () => {
        const { labels, ...b } = batch(CASE);
        const out = await ref('lora_outputs.safetensors');
        const got = adapterForward(model, adapter, b, { labels });
        const loss = (await take(causalLmLoss(got.logits!, got.labels!)))[0];
        close(`${backend} lora logits`, await take(got.logits!), (await out.float32('logits')).data, ATOL, RTOL, keep(model.config.vocabSize));
        const want = (await out.float32('loss')).data[0];
        expect(Math.abs(loss - want)).toBeLessThanOrEqual(RTOL * want);
      });

      it('gradients of the loss for every lora_A / lora_B', async () => {
        const { labels, ...b } = batch(CASE);
        const file = await ref('lora_grads.safetensors');
        const before = tf.memory().numTensors;
        const { value, grads } = tf.variableGrads(() => causalLmLoss(adapterForward(model, adapter, b, { train: true, labels }).logits!, labels) as tf.Scalar, trainableParams(adapter));
        expect(file.names().sort()).toEqual([...adapter.params.keys()].map((k) => `${k}.grad`).sort());
        for (const [k, v] of adapter.params) close(`${backend} ${k}.grad`, await hfGrad(k, grads[v.name]), (await file.float32(`${k}.grad`)).data, GRAD_ATOL, GRAD_RTOL);
        tf.dispose([value, ...Object.values(grads)]);
        expect(tf.memory().numTensors).toBe(before);
      });
    });
  });
}

describe.skipIf(!haveShared('MOSS merge and int8 (cpu)'))('MOSS merge and int8 (cpu)', () => {
  beforeAll(async () => {
    await initBackend({ prefer: ['cpu'] });
  });

  it('merge_and_unload changes exactly the two qkv_proj weights, to PEFT\'s values', async () => {
    const model = await load();
    const adapter = await caseAdapter(model, CASE, 'lora');
    const base = await mergedHfWeights(model);
    expect(Object.keys(base)).not.toContain('transformer.h.0.attn.causal_mask'); // save_pretrained's buffers are not ours to write
    await mergeAdapter(model, adapter);
    const merged = await mergedHfWeights(model);
    const changed = Object.keys(merged).filter((k) => merged[k].data.some((v, i) => v !== base[k].data[i])).sort();
    expect(changed).toEqual(readJson<{ merged_changed_tensors: string[] }>(path.join(dir(), 'meta.json')).merged_changed_tensors.sort());
    const file = await ref('lora_merged_weights.safetensors');
    for (const name of file.names()) close(`merged ${name}`, merged[name].data, (await file.float32(name)).data, 1e-6, 1e-5);
    const want = (await (await ref('lora_outputs.safetensors')).float32('merged_logits')).data;
    const { labels: _l, ...b } = batch(CASE);
    close('merged_logits', await take(forward(model, b).logits!), want, ATOL, RTOL, unmasked(b.attentionMask, 320));
    // llama.cpp has no MOSS architecture: a GGUF LoRA export is refused by name (PEFT files and merged weights work).
    const tensors = new Map(Object.entries(await adapterTensors(adapter)).map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }]));
    expect(() => exportLoraGguf({ family: 'moss', alpha: 8, r: 4, useRslora: false, heads: 4, kvHeads: 4, tiedEmbeddings: false, tensors })).toThrow(GgufExportError);
    expect(() => exportLoraGguf({ family: 'moss', alpha: 8, r: 4, useRslora: false, heads: 4, kvHeads: 4, tiedEmbeddings: false, tensors })).toThrow(/'moss' has no GGUF mapping/);
    adapter.dispose();
    model.dispose();
  });

  it('--quantize int8 applies: every matrix and the head are quantized, the head bias stays f32, logits stay near f32', async () => {
    const q = await load({ quantizer: createQuantizer({ bits: 8, groupSize: 32, symmetric: true }) });
    expect(q.weights.get('layers.0.qkv.w')!.constructor.name).toBe('QTensor');
    expect(q.weights.get('lm_head.w')!.constructor.name).toBe('QTensor');
    expect(q.weights.get('lm_head.b')).toBeInstanceOf(tf.Tensor);
    const { labels, ...b } = batch(CASE);
    const want = (await (await ref('base_outputs.safetensors')).float32('logits')).data;
    // Symmetric int8 in groups of 32 rounds each weight by at most half a step (max|group| / 254); through two layers
    // that moved logits of magnitude up to ~5.6 by 4.3e-2 at most here (cpu). The bar is 0.1, the loss 1 %.
    close('int8 logits vs f32 reference', await take(forward(q, b).logits!), want, 0.1, 0, unmasked(b.attentionMask, 320));
    const loss = (await take(tf.tidy(() => chunkedCausalLmLoss(q, forward(q, b, { skipHead: true }).finalHidden!, labels))))[0];
    const wantLoss = (await (await ref('base_outputs.safetensors')).float32('loss')).data[0];
    expect(Math.abs(loss - wantLoss)).toBeLessThanOrEqual(1e-2 * wantLoss);
    q.dispose();
  });
});
