/**
 * Training with the f16 forward products on (the default wherever the device has shader-f16; kernels/gpu-features.ts)
 * on Mesa's lavapipe (tests/helpers/lavapipe.ts): the same seeded LoRA run on wasm, on lavapipe in f32
 * (WEBIFT_WEBGPU_F16 off) and on lavapipe with f16. f32 must match wasm as tightly as depth-webgpu.test.ts holds
 * SwiftShader (relative 1e-5 on losses). f16 must differ from f32 (so it ran) and stay within relative 2e-3 of wasm
 * on losses and 2e-2 on gradient norms: f16 rounds each product's inputs to 11 significant bits (2^-11 = 4.9e-4 each)
 * and sums 4 products in f16, so a layer's outputs move by about 1e-3 relative. Measured (printed below): f32 1.1e-7
 * from wasm; f16 3.9e-5 on losses and 1.2e-3 on norms, so 50x and 17x headroom. The loss must still fall.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { useLavapipe } from '../helpers/lavapipe';
import { tf } from '../../src/kernels/tf';
import { F16_FLAG } from '../../src/kernels/gpu-features';
import { randomModel } from '../../src/model/random';
import { loraRun, maxRelGap, randomBatches, type RunSpec } from './backend-runs';

const unavailable = useLavapipe();

const CFG = {
  model_type: 'llama', vocab_size: 96, hidden_size: 64, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 2,
  intermediate_size: 128, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 64, tie_word_embeddings: false,
};

describe.skipIf(unavailable !== null)('LoRA training with f16 forward products on lavapipe', () => {
  afterAll(() => {
    tf.env().set(F16_FLAG, true);
  });

  it('4 layers, all linear layers, 6 steps: f32 as wasm, f16 close to it and still learning', async () => {
    const spec: Omit<RunSpec, 'backend'> = {
      model: () => randomModel(CFG, 3),
      batches: randomBatches(1, 6, 2, 24, CFG.vocab_size).map((b, i, all) => all[i % 2]), // two batches, seen 3 times
      config: { maxSteps: 6, batchSize: 2, gradAccum: 1 },
      targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
    };
    const cpu = await loraRun({ ...spec, backend: 'wasm' });
    tf.env().set(F16_FLAG, false);
    const f32 = await loraRun({ ...spec, backend: 'webgpu' });
    tf.env().set(F16_FLAG, true);
    const f16 = await loraRun({ ...spec, backend: 'webgpu' });
    const show = (x: number[]) => x.map((v) => v.toPrecision(8)).join(' ');
    console.log(`loss wasm ${show(cpu.losses)}\nloss  f32 ${show(f32.losses)}  gap ${maxRelGap(f32.losses, cpu.losses).toExponential(2)}
loss  f16 ${show(f16.losses)}  gap ${maxRelGap(f16.losses, cpu.losses).toExponential(2)}
norm wasm ${show(cpu.gradNorms)}\nnorm  f16 ${show(f16.gradNorms)}  gap ${maxRelGap(f16.gradNorms, cpu.gradNorms).toExponential(2)}`);
    expect(f16.losses).toHaveLength(6);
    expect(maxRelGap(f32.losses, cpu.losses)).toBeLessThanOrEqual(1e-5);
    expect(f16.losses.some((v, i) => v !== f32.losses[i]), 'f16 ran (its losses differ from f32)').toBe(true);
    expect(maxRelGap(f16.losses, cpu.losses)).toBeLessThanOrEqual(2e-3);
    expect(maxRelGap(f16.gradNorms, cpu.gradNorms)).toBeLessThanOrEqual(2e-2);
    expect(f16.losses[5]).toBeLessThan(f16.losses[1]); // the same batch, 2 passes later
  });

  it('a non-finite loss with f16 on stops the run with a message that says how to turn f16 off', async () => {
    tf.env().set(F16_FLAG, true);
    const run = await loraRun({
      model: () => randomModel(CFG, 3),
      batches: randomBatches(2, 3, 1, 8, CFG.vocab_size),
      config: { maxSteps: 3, batchSize: 1, gradAccum: 1 },
      targets: ['q_proj'],
      backend: 'webgpu',
      // The second call (step 2; one micro-batch a step, no evaluation) overflows, as an f16 product past ±65,504 would.
      loss: (base) => {
        let calls = 0;
        return (batch, ctx) => (++calls === 2 ? tf.mul(base(batch, ctx), Infinity) : base(batch, ctx));
      },
    });
    const err = run.events.find((e) => e.kind === 'error');
    expect(err && 'message' in err ? err.message : '').toMatch(/step 2: the loss is Infinity.*WEBIFT_WEBGPU_F16=0 \(Node\) or \?tfjsflags=WEBIFT_WEBGPU_F16:false turns them off/);
    expect(run.losses).toHaveLength(1);
  });
});
