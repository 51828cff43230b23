/**
 * LoRA, DoRA and IA3 on an int4 base (QLoRA style), on one backend: every adapter gradient equals that of the same
 * adapter on the f32 model whose weights are the reference-dequantized values (rtol 1e-5, atol gradAtol); a train
 * step moves the adapter and leaves the base bit-for-bit unchanged; the saved adapter is an ordinary PEFT adapter (no quantization
 * trace) that loads on the full-precision base, and on the reference model gives the quantized model's logits.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { initBackend, type BackendName } from '../../src/platform/backend';
import { loadModel } from '../../src/model/load';
import { QTensor } from '../../src/kernels/qtensor';
import type { QuantSpec } from '../../src/kernels/packed';
import type { Model } from '../../src/model/types';
import { adapterForward, attachAdapter, ia3Config, loadAdapter, loraConfig, mergeAdapter, MergeError, saveAdapter, type Adapter, type PeftConfig } from '../../src/peft';
import { causalLmLoss } from '../../src/train/loss';
import { AdamW } from '../../src/train/optimizer';
import { Rng } from '../../src/train/rng';
import { trainStep } from '../../src/train/step';
import { makeWeightsTrainable, objective } from '../../src/train/objective';
import { createQuantizer } from '../../src/quant';
import { memSource } from '../helpers/mem-source';
import { compareClose } from '../helpers/fixtures';
import { TINY_LLAMA, tinyCheckpoint } from './tiny-checkpoint';
import { referenceModel } from './reference-model';

const SPEC: QuantSpec = { bits: 4, groupSize: 32, symmetric: false };
const ALL = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
const METHODS: Record<string, PeftConfig> = {
  // B random (init_lora_weights false) so that A's gradient is not zero.
  LoRA: loraConfig({ r: 4, lora_alpha: 8, lora_dropout: 0, target_modules: ALL, init_lora_weights: false }),
  DoRA: loraConfig({ r: 4, lora_alpha: 8, lora_dropout: 0, target_modules: ALL, init_lora_weights: false, use_dora: true }),
  IA3: ia3Config({ init_ia3_weights: false }),
};
/**
 * Absolute tolerance on top of rtol 1e-5, for gradient entries near zero. The two models' products are the same
 * values in a different rounding: the quantized one's dx = dy · Wᵀ is a plain product of a few rows (XNNPACK:
 * multiply, then add), the f32 one's takes a transpose flag (on wasm, our GEMM with fused multiply-add). Measured:
 * up to 8.2e-8 apart at these magnitudes; 1e-9 held while both rounded the same way.
 * On wasm the quantized model's forward products too (12 rows: decode's path) run gemm.c's qgemv, which sums
 * x · (code - mid) over each group and scales once, never rounding a weight to f32, where the f32 model multiplies the
 * rounded weights: up to 7.2e-7 apart. Neither is the less accurate: against an f64 product, qgemv's [1, 576] x
 * [576, 1536] int4 rows are within 6e-7, the f32 product of the dequantized weights within 2.2e-6 (measured on this
 * project's AMD EPYC). The check below shows the tolerance still tells the models apart.
 */
const gradAtol = (backend: BackendName): number => (backend === 'wasm' ? 1e-6 : 2e-7);
const B = 2, T = 6;
const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 37 + 11) % 301);
const batch = { ids, labels: ids, attentionMask: new Int32Array(B * T).fill(1), B, T, tokens: B * T, targets: B * (T - 1), epoch: 0 };

async function grads(model: Model, adapter: Adapter): Promise<Map<string, Float32Array>> {
  const vars = [...adapter.params.values()];
  const { value, grads: g } = tf.variableGrads(() => causalLmLoss(adapterForward(model, adapter, { ids, B, T }, { train: true, seed: 1 }).logits!, ids) as tf.Scalar, vars);
  value.dispose();
  const out = new Map<string, Float32Array>();
  for (const [key, v] of adapter.params) out.set(key, (await g[v.name].data()) as Float32Array);
  tf.dispose(Object.values(g));
  return out;
}

export function peftInt4Suite(backend: BackendName): void {
  describe(`PEFT on an int4 base (${backend})`, () => {
    let q: Model, ref: Model, f32: Model;
    beforeAll(async () => {
      expect((await initBackend({ prefer: [backend] })).name).toBe(backend);
      const files = tinyCheckpoint({ ...TINY_LLAMA, tie_word_embeddings: true }, { seed: 7 });
      f32 = await loadModel(memSource(files));
      ref = await referenceModel(f32, SPEC);
      q = await loadModel(memSource(files), { quantizer: createQuantizer(SPEC) });
      expect(q.weights.get('layers.1.down.w')).toBeInstanceOf(QTensor);
    });

    for (const [method, config] of Object.entries(METHODS))
      it(`${method}: adapter gradients equal those on the reference-dequantized f32 model`, async () => {
        const a = attachAdapter(q, config, { seed: 3 }), b = attachAdapter(ref, config, { seed: 3 });
        const gq = await grads(q, a), gr = await grads(ref, b);
        expect([...gq.keys()]).toEqual([...gr.keys()]);
        let nonzero = 0;
        for (const [key, g] of gq) {
          const r = compareClose(g, gr.get(key)!, gradAtol(backend), 1e-5);
          expect(r.worst, `${key}: max |Δ| ${r.maxAbs}`).toBeLessThanOrEqual(0);
          nonzero += g.some((x) => x !== 0) ? 1 : 0;
        }
        expect(nonzero).toBe(gq.size);
        // The test can tell: on the unquantized model the same gradients are off by far more than the tolerance.
        const c = attachAdapter(f32, config, { seed: 3 });
        const gf = await grads(f32, c);
        expect(Math.max(...[...gq].map(([key, g]) => compareClose(g, gf.get(key)!, gradAtol(backend), 1e-5).worst))).toBeGreaterThan(0);
        for (const x of [a, b, c]) x.dispose();
      });

    it('merging into the quantized base and full fine-tuning of it are refused with a clear error, the base untouched', async () => {
      const adapter = attachAdapter(q, METHODS.LoRA, { seed: 5 });
      await expect(mergeAdapter(q, adapter)).rejects.toThrow(MergeError);
      await expect(mergeAdapter(q, adapter)).rejects.toThrow(/quantized.*without --quantize/);
      expect(adapter.merged).toBe(false);
      expect(() => makeWeightsTrainable(q)).toThrow(/full fine-tuning.*without --quantize/);
      expect(q.weights.get('layers.0.q.w')).toBeInstanceOf(QTensor);
      adapter.dispose();
    });

    it('a train step moves the adapter and leaves the base unchanged; the saved adapter is plain PEFT for the f32 base', async () => {
      const adapter = attachAdapter(q, METHODS.LoRA, { seed: 5 });
      const decoded = async () => Promise.all([...q.weights].filter(([, w]) => w instanceof QTensor).map(async ([, w]) => {
        const d = (w as QTensor).dequantize();
        const v = Float32Array.from((await d.data()) as Float32Array);
        d.dispose();
        return v;
      }));
      const baseBefore = await decoded();
      const aBefore = Float32Array.from((await [...adapter.params.values()][0].data()) as Float32Array);
      const opt = new AdamW(adapter.params, { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
      const r = await trainStep({ params: adapter.params, optimizer: opt, loss: objective(q, adapter), microBatches: [batch], lr: 1e-2, maxGradNorm: 1, rng: new Rng(1) });
      expect(r.applied).toBe(true);
      expect((await [...adapter.params.values()][0].data()) as Float32Array).not.toEqual(aBefore);
      (await decoded()).forEach((d, i) => expect(d).toEqual(baseBefore[i]));

      const files = await saveAdapter(adapter, { baseModelNameOrPath: 'tiny' });
      expect(files.config).not.toMatch(/quant|int4|bits|group_size|bnb/i);
      const onF32 = await loadAdapter(f32, files);
      for (const [key, v] of adapter.params) expect(await onF32.params.get(key)!.data()).toEqual(await v.data());
      const onRef = await loadAdapter(ref, files);
      const lq = adapterForward(q, adapter, { ids, B, T }).logits!, lr = adapterForward(ref, onRef, { ids, B, T }).logits!;
      const c = compareClose((await lq.data()) as Float32Array, (await lr.data()) as Float32Array, 1e-5, 1e-5);
      expect(c.worst, `max |Δ| ${c.maxAbs}`).toBeLessThanOrEqual(0);
      tf.dispose([lq, lr]);
      for (const x of [adapter, onF32, onRef]) x.dispose();
      opt.dispose();
    });
  });
}
