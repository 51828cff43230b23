/**
 * Memory estimate: parameter counts derived by hand (and, for LoRA, against the PEFT fixture's adapter file), a
 * measured check that the estimate is conservative (the peak of real unique tfjs buffers during one full training
 * step stays below it, for full fine-tuning and a hand-rolled LoRA on random llama shapes), and the refusals.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { peakBufferBytes } from './peak-buffers';
import { tf, type Tensor } from '../../src/kernels/tf';
import { parseConfig } from '../../src/model/config';
import { SMOLLM2_135M_CONFIG, randomModel } from '../../src/model/random';
import type { LinearFn } from '../../src/model/types';
import { initBackend } from '../../src/platform/backend';
import { checkFits, estimateMemory, type MethodSpec } from '../../src/train/estimate';
import { AdamW, type Variable } from '../../src/train/optimizer';
import { Rng } from '../../src/train/rng';
import { trainStep } from '../../src/train/step';
import { llamaLoss } from './helpers';

const LLAMA_GQA = { model_type: 'llama', vocab_size: 320, hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 16, intermediate_size: 128, rms_norm_eps: 1e-6, tie_word_embeddings: false };


describe('estimateMemory', () => {
  beforeAll(async () => {
    await initBackend({ prefer: ['cpu'] });
  });

  it('counts parameters like the checkpoints do', () => {
    const cfg = parseConfig(LLAMA_GQA);
    // Per layer: 2 norms 2*64 + q 64*64 + k, v 64*32 each + o 64*64 + gate, up, down 64*128 each = 36992.
    // Embedding and head 320*64 each, final norm 64: 2*20480 + 2*36992 + 64 = 115008.
    expect(estimateMemory(cfg, { kind: 'full' }, 1, 8).trainableParams).toBe(115008);
    // LoRA r=4 on q,k,v,o,up: per layer 4*(64+64) + 2*4*(64+32) + 4*(64+64) + 4*(64+128) = 2560; x2 layers. The
    // PEFT fixture's adapter_model.safetensors holds exactly 5120 values.
    const lora = estimateMemory(cfg, { kind: 'lora', r: 4, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'up_proj'] }, 1, 8);
    expect(lora.trainableParams).toBe(5120);
    expect(lora.weightsBytes).toBe(115008 * 4);
    expect(() => estimateMemory(cfg, { kind: 'lora', r: 4, targets: ['c_attn'] }, 1, 8)).toThrow(/target 'c_attn' matches no linear module of this llama model/);
    // SmolLM2-135M: 134,515,008 parameters, + a transposed copy of the tied 49152x576 embedding as the head.
    const smol = estimateMemory(parseConfig(SMOLLM2_135M_CONFIG), { kind: 'prompt', virtualTokens: 20 }, 1, 256);
    expect(smol.weightsBytes).toBe((134_515_008 + 49152 * 576) * 4);
    expect(smol.trainableParams).toBe(20 * 576);
    expect(smol.largestBuffer.what).toMatch(/^the largest weight matrix/);
  });

  for (const method of ['full', 'lora'] as const) {
    it(`is conservative against a measured training step (${method})`, async () => {
      for (const [B, T, V, C, I] of [[2, 12, 320, 64, 128], [4, 32, 512, 64, 128], [1, 96, 1500, 128, 256]]) {
        const model = randomModel({ ...LLAMA_GQA, vocab_size: V, hidden_size: C, intermediate_size: I, head_dim: C / 4 }, 3);
        const params = new Map<string, Variable>();
        let linear: ((name: string, x: Tensor, w: Tensor, b: Tensor | null) => Tensor) | undefined;
        let spec: MethodSpec = { kind: 'full' };
        if (method === 'full') {
          for (const [n, t] of model.weights) {
            params.set(n, tf.variable(t as Tensor, true));
            model.weights.set(n, params.get(n)!);
            t.dispose();
          }
        } else {
          // LoRA r=8 on q, v, up, hand-rolled: y = x W + (x A) B * 2.
          spec = { kind: 'lora', r: 8, targets: ['q', 'v', 'up'] };
          for (const [n, w] of model.weights) {
            if (!/\.(q|v|up)\.w$/.test(n)) continue;
            params.set(n.replace(/w$/, 'A'), tf.variable(tf.randomNormal([w.shape[0], 8], 0, 0.1, 'float32', 1)));
            params.set(n.replace(/w$/, 'B'), tf.variable(tf.randomNormal([8, w.shape[1]!], 0, 0.1, 'float32', 2)));
          }
          linear = (name, x, w, b) => {
            const x2 = tf.reshape(x, [-1, w.shape[0]]);
            let y = tf.matMul(x2, w as tf.Tensor2D);
            const A = params.get(`${name}.A`);
            if (A) y = tf.add(y, tf.mul(tf.matMul(tf.matMul(x2, A as tf.Tensor2D), params.get(`${name}.B`)! as tf.Tensor2D), 2));
            if (b) y = tf.add(y, b);
            return tf.reshape(y, [...x.shape.slice(0, -1), w.shape[1]!]);
          };
        }
        const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 7 + 1) % V);
        const batch = { ids, labels: ids, attentionMask: new Int32Array(B * T).fill(1), B, T };
        const opt = new AdamW(params, { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
        const peak = await peakBufferBytes(async () => {
          await trainStep({ params, optimizer: opt, loss: llamaLoss(model, linear ? () => linear as LinearFn : undefined), microBatches: [batch], lr: 1e-3, maxGradNorm: 1, rng: new Rng(1) });
        });
        // The weights (and LoRA params) existed before: the hook saw only what the step allocated.
        const est = estimateMemory(model.config, spec, B, T);
        const measured = peak + est.weightsBytes + est.adapterBytes;
        expect(est.totalBytes, `B=${B} T=${T} V=${V} C=${C}: measured ${measured}`).toBeGreaterThanOrEqual(measured);
        expect(est.totalBytes, `B=${B} T=${T} V=${V} C=${C}: not absurdly high`).toBeLessThanOrEqual(2 * measured);
        opt.dispose();
        model.dispose();
        for (const p of params.values()) if (!p.isDisposed) p.dispose();
      }
    });
  }

  it('refuses over-budget runs and over-size buffers with a message that says what to change', () => {
    const smol = parseConfig(SMOLLM2_135M_CONFIG);
    const full = estimateMemory(smol, { kind: 'full' }, 4, 256);
    const r = checkFits(full, 1 << 30, 2e9);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/^training needs ~\d+\.\d\d GB \(weights 0\.65 GB, gradients \+ AdamW \d+\.\d\d GB, activations \d+\.\d\d GB\), the device allows 2\.00 GB: lower batch\/cutoff or use LoRA$/);
    const lora: MethodSpec = { kind: 'lora', r: 8, targets: ['q', 'v'] };
    const est = estimateMemory(smol, lora, 4, 256);
    expect(checkFits(est, 1 << 30, 64e9, lora)).toEqual({ ok: true });
    // Full fine-tuning keeps whole logits: 4 x 1024 x 49152 f32 = 805 MB, over a 512 MiB buffer limit even though
    // the device has room. A frozen head (LoRA) runs in chunks of floor(4Mi / 49152) = 85 tokens: 16.7 MB.
    const long = checkFits(estimateMemory(smol, { kind: 'full' }, 4, 1024), 512 * 2 ** 20, 500e9, { kind: 'full' });
    expect(!long.ok && long.message).toBe('the largest single buffer, logits (B×T = 4×1024 × V = 49152), needs ~0.81 GB, the backend allows 0.54 GB per buffer: lower batch/cutoff');
    const chunked = estimateMemory(smol, lora, 4, 1024);
    expect(chunked.largestBuffer.what).not.toMatch(/^logits/);
    expect(checkFits(chunked, 512 * 2 ** 20, 500e9, lora)).toEqual({ ok: true });
  });
});
