/**
 * Depth (issue 11): the same seeded LoRA run trained on WebGPU (SwiftShader in CI) and on wasm gives the same losses
 * and gradient norms, on a deep narrow random llama (24 layers) and on the real stories260K (llama2.c, 5 layers).
 * 24 layers x 7 LoRA targets x (A, B) = 336 gradients whose norms are stacked for clipping, far more than one kernel
 * binds (the addN over 14 micro-batch losses is in gpu-stop-webgpu.test.ts). Tolerance: relative 1e-5 on losses,
 * 1e-4 on gradient norms. Both are f32 with different reduction orders; the measured gaps are ~1e-7 on losses and
 * up to 3e-6 on norms (deep), so 10-40x headroom. The stale-memory bug this guards against was off by ~50%.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { convertLlama2cCheckpoint } from '../../src/model/llama2c';
import { loadModel } from '../../src/model/load';
import { randomModel } from '../../src/model/random';
import { haveShared, sharedPath } from '../helpers/fixtures';
import { memSource } from '../helpers/mem-source';
import { loraRun, maxRelGap, randomBatches, type RunResult, type RunSpec } from './backend-runs';

const ALL_LINEAR = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
/** Deep and narrow: C 32, H 2 (D 16), Hkv 1 (GQA), I 64, V 64, L 24. */
const DEEP = {
  model_type: 'llama', vocab_size: 64, hidden_size: 32, num_hidden_layers: 24, num_attention_heads: 2, num_key_value_heads: 1,
  intermediate_size: 64, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 64, tie_word_embeddings: false,
};
const LOSS_RTOL = 1e-5, NORM_RTOL = 1e-4;
/** SwiftShader compiles each new shader on first use (~30 s of the first step) and runs ~10 s per deep step. */
const SLOW = 300_000;
const STORIES = 'data/tiny-models/stories260K/stories260K.bin';

async function both(spec: Omit<RunSpec, 'backend'>, label: string): Promise<{ gpu: RunResult; cpu: RunResult }> {
  const cpu = await loraRun({ ...spec, backend: 'wasm' });
  const gpu = await loraRun({ ...spec, backend: 'webgpu' });
  console.log(`${label}: wasm ${cpu.seconds.toFixed(1)} s, webgpu ${gpu.seconds.toFixed(1)} s (steps ${gpu.stepSeconds.map((x) => x.toFixed(1)).join(', ')} s)
  loss     wasm ${cpu.losses.map((x) => x.toPrecision(9)).join(' ')}
  loss   webgpu ${gpu.losses.map((x) => x.toPrecision(9)).join(' ')}   max rel gap ${maxRelGap(gpu.losses, cpu.losses).toExponential(2)}
  norm     wasm ${cpu.gradNorms.map((x) => x.toPrecision(9)).join(' ')}
  norm   webgpu ${gpu.gradNorms.map((x) => x.toPrecision(9)).join(' ')}   max rel gap ${maxRelGap(gpu.gradNorms, cpu.gradNorms).toExponential(2)}`);
  return { gpu, cpu };
}

describe('WebGPU trains like wasm', () => {
  it('deep narrow llama, 24 layers, LoRA on all linear layers, 4 steps', async () => {
    const { gpu, cpu } = await both({
      model: () => randomModel(DEEP, 3),
      batches: randomBatches(1, 8, 2, 16, DEEP.vocab_size),
      config: { maxSteps: 4, batchSize: 2, gradAccum: 2 },
      targets: ALL_LINEAR,
    }, 'deep');
    expect(cpu.losses.length).toBe(4);
    expect(gpu.losses.length).toBe(4);
    expect(new Set(cpu.losses).size, 'the updates must move the loss, or equal losses prove little').toBe(4);
    expect(maxRelGap(gpu.losses, cpu.losses)).toBeLessThanOrEqual(LOSS_RTOL);
    expect(maxRelGap(gpu.gradNorms, cpu.gradNorms)).toBeLessThanOrEqual(NORM_RTOL);
  }, SLOW);

  it.skipIf(!haveShared('depth: stories260K on WebGPU and wasm', STORIES))('stories260K, LoRA on all linear layers, 4 steps', async () => {
    const conv = convertLlama2cCheckpoint(new Uint8Array(readFileSync(sharedPath(STORIES))));
    const files = { 'config.json': JSON.stringify(conv.config), 'model.safetensors': conv.safetensors };
    const { gpu, cpu } = await both({
      model: () => loadModel(memSource(files)),
      batches: randomBatches(2, 8, 1, 32, 512),
      config: { maxSteps: 4, batchSize: 1, gradAccum: 2 },
      targets: ALL_LINEAR,
    }, 'stories260K');
    expect(maxRelGap(gpu.losses, cpu.losses)).toBeLessThanOrEqual(LOSS_RTOL);
    expect(maxRelGap(gpu.gradNorms, cpu.gradNorms)).toBeLessThanOrEqual(NORM_RTOL);
  }, SLOW);
});
