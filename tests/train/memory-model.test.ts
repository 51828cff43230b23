/**
 * The memory model (train/estimate.ts) against measurement: the peak of distinct tfjs buffers during one LoRA
 * training step on wasm, after a warm-up step (so AdamW's state exists), at several shapes, token counts and with or
 * without recomputation, with matmuls on the threaded GEMM (as runs get them) or, under WEBIFT_THREADS=1, on tfjs's
 * kernels (CI runs that once too). The prediction must be within 20% of the measured peak (weights, adapter, optimizer and
 * activations together, which is what the run needs). Llama-shaped blocks train as fused blocks on the threaded
 * path (model/fused-block.ts); the generic taped blocks are measured too. Also: recomputation cuts the generic
 * path's peak, and so do the fused blocks without recomputing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { peakBufferBytes } from './peak-buffers';
import { gemmPool } from '../../src/kernels/gemm/register';
import { SMOLLM2_135M_CONFIG, randomModel } from '../../src/model/random';
import { attachLora, loraConfig } from '../../src/peft';
import { initBackend } from '../../src/platform/backend';
import { estimateMemory, planMemory, type MethodSpec } from '../../src/train/estimate';
import { parseConfig } from '../../src/model/config';
import { methodSpec, objective } from '../../src/train/objective';
import { AdamW } from '../../src/train/optimizer';
import { Rng } from '../../src/train/rng';
import { trainStep } from '../../src/train/step';

const SMALL = { model_type: 'llama', vocab_size: 4096, hidden_size: 128, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 352, rms_norm_eps: 1e-5, tie_word_embeddings: true, max_position_embeddings: 1024 };
const TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

async function measure(raw: Record<string, unknown>, B: number, T: number, recompute: boolean, fusedBlocks = true): Promise<{ measured: number; predicted: number }> {
  const model = randomModel(raw, 1);
  const adapter = attachLora(model, loraConfig({ r: 8, lora_alpha: 16, lora_dropout: 0.05, target_modules: TARGETS as never }), { seed: 1 });
  const optimizer = new AdamW(adapter.params, { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
  const loss = objective(model, adapter, { recompute, fusedBlocks });
  const rng = new Rng(1);
  const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 7919) % (raw.vocab_size as number));
  const microBatches = [{ ids, labels: ids.slice(), attentionMask: new Int32Array(B * T).fill(1), B, T }];
  const step = () => trainStep({ params: adapter.params, optimizer, loss, microBatches, lr: 1e-4, maxGradNorm: 1, rng }).then(() => undefined);
  await step();
  const measured = await peakBufferBytes(step, tf.memory().numBytes);
  // The path this process runs: the threaded GEMM (no transposed copies) unless WEBIFT_THREADS=1 switched it off.
  const predicted = estimateMemory(model.config, methodSpec(adapter), B, T, { recompute, transposeFree: gemmPool() !== null, fusedBlocks }).totalBytes;
  optimizer.dispose();
  adapter.dispose();
  model.dispose();
  return { measured, predicted };
}

describe('memory model against measurement (wasm)', () => {
  beforeAll(async () => {
    await initBackend({ prefer: ['wasm'] });
  });

  const points: [string, Record<string, unknown>, number, number, boolean, boolean?][] = [
    ['hidden 128, 4 layers, 1 x 64', SMALL, 1, 64, false],
    ['hidden 128, 4 layers, 2 x 64', SMALL, 2, 64, false],
    ['hidden 128, 4 layers, 1 x 256, recompute', SMALL, 1, 256, true],
    ['hidden 128, 8 layers, 4 x 64, recompute', { ...SMALL, num_hidden_layers: 8 }, 4, 64, true],
    ['SmolLM2-135M shape, 2 layers, 1 x 64', { ...SMOLLM2_135M_CONFIG, num_hidden_layers: 2 }, 1, 64, false],
    ['SmolLM2-135M shape, 4 layers, 1 x 128, recompute', { ...SMOLLM2_135M_CONFIG, num_hidden_layers: 4 }, 1, 128, true],
    ['hidden 128, 4 layers, 2 x 64, generic blocks', SMALL, 2, 64, false, false],
    ['SmolLM2-135M shape, 2 layers, 1 x 64, generic blocks', { ...SMOLLM2_135M_CONFIG, num_hidden_layers: 2 }, 1, 64, false, false],
  ];
  for (const [name, raw, B, T, rc, fused] of points) {
    it(`predicts the peak within 20%: ${name}`, async () => {
      const { measured, predicted } = await measure(raw, B, T, rc, fused);
      console.log(`memory model: ${name}: measured ${(measured / 1e6).toFixed(1)} MB, predicted ${(predicted / 1e6).toFixed(1)} MB (${((predicted / measured - 1) * 100).toFixed(0)}%)`);
      expect(Math.abs(predicted / measured - 1)).toBeLessThan(0.2);
    }, 60_000);
  }

  it('recomputation cuts the generic blocks\' peak of a deep model, and so do the fused blocks without it', async () => {
    const deep = { ...SMALL, num_hidden_layers: 12 };
    const off = await measure(deep, 1, 128, false, false);
    const on = await measure(deep, 1, 128, true, false);
    expect(on.measured).toBeLessThan(0.5 * off.measured);
    if (!gemmPool()) return; // the fused blocks run on the threaded path only
    const fused = await measure(deep, 1, 128, false);
    expect(fused.measured).toBeLessThan(0.5 * off.measured);
  }, 60_000);
});

describe('planMemory', () => {
  const smol = parseConfig(SMOLLM2_135M_CONFIG);
  const lora: MethodSpec = { kind: 'lora', r: 8, targets: TARGETS };
  const GB = 1e9;

  it('accepts a run that fits as asked', () => {
    const p = planMemory(smol, lora, { batch: 1, gradAccum: 4, seqLen: 128, recompute: 'auto' }, 1 << 30, 64 * GB);
    expect(p).toMatchObject({ ok: true, batch: 1, gradAccum: 4, recompute: false });
  });

  it('turns on recomputation, then micro-batches, keeping the effective batch', () => {
    const asked = { batch: 4, gradAccum: 1, seqLen: 256, recompute: 'auto' as const };
    const noRc = estimateMemory(smol, lora, 4, 256).totalBytes;
    const rc = estimateMemory(smol, lora, 4, 256, { recompute: true }).totalBytes;
    expect(rc).toBeLessThan(noRc);
    const p = planMemory(smol, lora, asked, 1 << 30, (rc + noRc) / 2);
    expect(p).toMatchObject({ ok: true, batch: 4, gradAccum: 1, recompute: true });
    const tight = estimateMemory(smol, lora, 1, 256, { recompute: true }).totalBytes * 1.01;
    const q = planMemory(smol, lora, asked, 1 << 30, tight);
    expect(q).toMatchObject({ ok: true, batch: 1, gradAccum: 4, recompute: true });
    expect(q.message).toMatch(/micro-batch 1 × 4 accumulated \(effective batch 4 kept\), recomputation on/);
  });

  it('refuses with the setting to change when even micro-batch 1 with recomputation cannot fit', () => {
    const p = planMemory(smol, lora, { batch: 4, gradAccum: 1, seqLen: 256, recompute: 'auto' }, 1 << 30, 0.3 * GB);
    expect(p.ok).toBe(false);
    expect(p.message).toMatch(/^training needs ~\d\.\d\d GB .* even at micro-batch 1 with recomputation: lower --cutoff-len, or quantize the base \(--quantize int4\)$/);
    // int4 weights: the same run needs less.
    const q = estimateMemory(smol, lora, 1, 256, { recompute: true, quant: { bits: 4, groupSize: 64 } });
    expect(q.weightsBytes).toBeLessThan(0.25 * estimateMemory(smol, lora, 1, 256).weightsBytes);
  });

  it('honours --recompute off', () => {
    const p = planMemory(smol, lora, { batch: 4, gradAccum: 1, seqLen: 256, recompute: 'off' }, 1 << 30, 3 * GB);
    expect(p.recompute).toBe(false);
  });
});
