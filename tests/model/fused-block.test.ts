/**
 * The fused training block (model/fused-block.ts, one custom gradient per Llama-shaped block with a hand-written
 * backward) against the generic block, whose gradient tfjs derives op by op from the same kernels: the loss and every
 * LoRA gradient of sum(logits · R) for a fixed random R, on the CPU path's threads (wasm with the GEMM pool). The
 * oracle is independent of the code under test: the generic block shares only the forward kernels, and its backward
 * is tfjs's autodiff of those ops and of each kernel's own registered gradient.
 * Cases: Llama with GQA and a left-padded row, LoRA on five of the seven projections with dropout 0.1 (the mask must
 * be the same in the backward) and rsLoRA-style scaling; Qwen2 (q/k/v biases) on an int4 base; and the fused block
 * under recomputation. Tolerance: 1e-4 relative plus 5e-6 of the tensor's largest entry. The two paths sum the same
 * f32 products in different orders; measured apart by up to 1.1e-6 of the largest entry (gradients of 2 to 100 on
 * the Qwen2 checkpoint), while a wrong term moves whole entries.
 * The fused path must also keep under a third of the generic tape's bytes after the forward (its reason to exist).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { gemmPool } from '../../src/kernels/gemm/register';
import { initBackend } from '../../src/platform/backend';
import { randomModel } from '../../src/model/random';
import { fusedPlan } from '../../src/model/fused-block';
import { llama } from '../../src/model/families/llama';
import { loadModel } from '../../src/model/load';
import { QTensor } from '../../src/kernels/qtensor';
import { createQuantizer } from '../../src/quant';
import type { Model } from '../../src/model/types';
import { adapterForward, adapterLinear, attachAdapter, loraConfig, type Adapter } from '../../src/peft';
import { compareClose } from '../helpers/fixtures';
import { memSource } from '../helpers/mem-source';
import { lcg } from '../helpers/random';
import { tinyCheckpoint } from '../quant/tiny-checkpoint';

const SCALE_TOL = 5e-6, RTOL = 1e-4;
const B = 2, T = 11;
const LLAMA = { model_type: 'llama', vocab_size: 97, hidden_size: 48, intermediate_size: 80, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 64, tie_word_embeddings: false };
const QWEN2 = { ...LLAMA, model_type: 'qwen2', hidden_size: 64, intermediate_size: 96, tie_word_embeddings: true };

interface Run { loss: number; grads: Map<string, Float32Array>; tapeBytes: number }

function run(model: Model, adapter: Adapter, fused: boolean, recompute = false): Run {
  const V = model.config.vocabSize;
  const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 37 + 5) % V);
  const attentionMask = Int32Array.from({ length: B * T }, (_, i) => (i < 3 ? 0 : 1)); // row 0 left-padded by 3
  const r = tf.tensor3d(lcg(B * T * V, 11), [B, T, V]);
  const before = tf.memory().numBytes;
  let tapeBytes = 0;
  const vars = [...adapter.params.values()];
  const { value, grads } = tf.variableGrads(() => {
    const out = adapterForward(model, adapter, { ids, B, T, attentionMask }, { train: true, seed: 5, fusedBlocks: fused, recompute, layerParams: recompute ? (i) => vars.filter((v) => v.name.includes(`layers.${i}.`)) : undefined });
    tapeBytes = tf.memory().numBytes - before;
    return tf.sum(tf.mul(out.logits!, r)) as tf.Scalar;
  }, vars);
  const res: Run = { loss: value.dataSync()[0], grads: new Map(), tapeBytes };
  for (const [key, v] of adapter.params) res.grads.set(key, grads[v.name].dataSync() as Float32Array);
  tf.dispose([value, r, ...Object.values(grads)]);
  return res;
}

function expectSame(fused: Run, generic: Run): void {
  expect(Math.abs(fused.loss - generic.loss)).toBeLessThanOrEqual(RTOL * Math.abs(generic.loss));
  expect([...fused.grads.keys()]).toEqual([...generic.grads.keys()]);
  for (const [key, g] of fused.grads) {
    const want = generic.grads.get(key)!;
    const c = compareClose(g, want, SCALE_TOL * want.reduce((m, x) => Math.max(m, Math.abs(x)), 0), RTOL);
    expect(c.worst, `${key}: max |Δ| ${c.maxAbs}`).toBeLessThanOrEqual(0);
    expect(g.some((x) => x !== 0), `${key} is not all zero`).toBe(true);
  }
}

describe('fused training block on the CPU path', () => {
  beforeAll(async () => {
    await initBackend({ prefer: ['wasm'] });
    expect(gemmPool(), 'the GEMM pool runs (2+ hardware threads)').not.toBeNull();
  });

  it('Llama, GQA, padding, LoRA with dropout on five projections: loss and gradients equal the generic block', () => {
    const model = randomModel(LLAMA, 3);
    const adapter = attachAdapter(model, loraConfig({ r: 4, lora_alpha: 8, lora_dropout: 0.1, use_rslora: true, init_lora_weights: false, target_modules: ['q_proj', 'v_proj', 'o_proj', 'gate_proj', 'down_proj'] }), { seed: 2 });
    expect(fusedPlan(model, llama, adapterLinear(adapter, { train: true, seed: 5 }), 1)?.params).toHaveLength(10);
    const fused = run(model, adapter, true), generic = run(model, adapter, false);
    expectSame(fused, generic);
    expect(fused.tapeBytes).toBeLessThan(generic.tapeBytes / 3);
    // Dropout is live: without it the gradients differ (so the test can tell a mask that is not reproduced).
    const noDrop = attachAdapter(model, loraConfig({ r: 4, lora_alpha: 8, lora_dropout: 0, use_rslora: true, init_lora_weights: false, target_modules: ['q_proj', 'v_proj', 'o_proj', 'gate_proj', 'down_proj'] }), { seed: 2 });
    const plain = run(model, noDrop, true);
    const [g0, f0] = [plain.grads.values().next().value!, fused.grads.values().next().value!];
    expect(compareClose(g0, f0, SCALE_TOL * f0.reduce((m, x) => Math.max(m, Math.abs(x)), 0), RTOL).worst).toBeGreaterThan(0);
    model.dispose();
  });

  it('Qwen2 (q/k/v biases) on an int4 base, LoRA on all seven projections: equal to the generic block', async () => {
    const model = await loadModel(memSource(tinyCheckpoint({ ...QWEN2, attention_bias: true }, { seed: 4 })), { quantizer: createQuantizer({ bits: 4, groupSize: 16, symmetric: false }) });
    expect(model.weights.get('layers.0.q.w')).toBeInstanceOf(QTensor);
    expect(model.weights.get('layers.0.q.b')).toBeDefined();
    const adapter = attachAdapter(model, loraConfig({ r: 2, lora_alpha: 4, lora_dropout: 0, init_lora_weights: false, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] }), { seed: 9 });
    expectSame(run(model, adapter, true), run(model, adapter, false));
    model.dispose();
  });

  it('under recomputation the fused block gives the same gradients', () => {
    const model = randomModel(LLAMA, 8);
    const adapter = attachAdapter(model, loraConfig({ r: 4, lora_alpha: 8, lora_dropout: 0.1, init_lora_weights: false, target_modules: ['k_proj', 'up_proj'] }), { seed: 4 });
    expectSame(run(model, adapter, true, true), run(model, adapter, false));
    model.dispose();
  });
});
