/**
 * The memory-saving training path against the plain one on small random models: the chunked lm_head + cross-entropy
 * (kernels/linear-xent.ts) equals causalLmLoss on full logits (itself checked against HF in the parity suites), in
 * value and in the gradient it sends back, for awkward chunk sizes, ignored labels, tied and untied heads and a final
 * softcap; per-block recomputation gives the same LoRA / DoRA / IA3 / prompt-tuning gradients as keeping the tape;
 * neither leaks a tensor. Runs on cpu and wasm; no ../shared needed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { linearCrossEntropy, slicedLinearCrossEntropy } from '../../src/kernels/linear-xent';
import { initBackend } from '../../src/platform/backend';
import { randomModel } from '../../src/model/random';
import { forward } from '../../src/model/transformer';
import { adapterForward, attachIa3, attachLora, attachPromptTuning, loraConfig } from '../../src/peft';
import type { Adapter } from '../../src/peft';
import { causalLmLoss, chunkedCausalLmLoss, shiftLabels } from '../../src/train/loss';
import { objective } from '../../src/train/objective';
import type { Rng } from '../../src/train/rng';

const CFG = { model_type: 'llama', vocab_size: 301, hidden_size: 48, num_hidden_layers: 3, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 64, rms_norm_eps: 1e-5, max_position_embeddings: 128 };
const B = 2, T = 13;
const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 37 + 5) % 301);
const labels = ids.slice();
labels[0] = -100; labels[4] = -100; labels[T + 2] = -100;
const batch = { ids, labels, attentionMask: new Int32Array(B * T).fill(1), B, T };
const fixedRng = { nextU32: () => 11 } as unknown as Rng;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Loss and gradients of f with respect to xs, read out, everything disposed. */
function lossAndGrads(f: () => tf.Scalar, xs: tf.Tensor[]): { loss: number; grads: Float32Array[] } {
  const { value, grads } = tf.engine().gradients(f, xs, undefined, true);
  const out = { loss: value.dataSync()[0], grads: grads.map((g) => Float32Array.from(g!.dataSync())) };
  value.dispose();
  for (const g of grads) g?.dispose();
  return out;
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`memory-saving training path (${backend})`, () => {
    beforeAll(async () => {
      await initBackend({ prefer: [backend] });
    });

    for (const tied of [true, false]) {
      it(`chunked loss equals the full-logits loss and gradient (${tied ? 'tied' : 'untied'} head)`, () => {
        const model = randomModel({ ...CFG, tie_word_embeddings: tied }, 2);
        const h = tf.tidy(() => forward(model, batch, { skipHead: true }).finalHidden!);
        const before = tf.memory().numTensors;
        const ref = lossAndGrads(() => causalLmLoss(tf.reshape(tf.matMul(tf.reshape(h, [B * T, 48]), model.weights.get("lm_head.w")! as tf.Tensor), [B, T, 301]), labels) as tf.Scalar, [h]);
        for (const chunk of [1, 5, B * T, B * T + 3]) {
          const got = lossAndGrads(() => chunkedCausalLmLoss(model, h, labels, chunk) as tf.Scalar, [h]);
          expect(Math.abs(got.loss - ref.loss)).toBeLessThan(1e-5 * ref.loss);
          // f32 sums in a different order: gradients of ~1e-3 agree to ~1e-8.
          expect(maxDiff(got.grads[0], ref.grads[0])).toBeLessThan(1e-6);
        }
        expect(tf.memory().numTensors).toBe(before);
        h.dispose();
        model.dispose();
      });
    }

    it('a final softcap gives the reference too, whole and over vocabulary slices', () => {
      const N = 9, C = 6, V = 23, cap = 3;
      const x = tf.randomNormal([N, C], 0, 2, 'float32', 1);
      const w = tf.randomNormal([C, V], 0, 1, 'float32', 2);
      const targets = Int32Array.from({ length: N }, (_, i) => (i === 4 ? -1 : (i * 5) % V));
      const count = N - 1;
      // Reference: causalLmLoss on cap·tanh(xW/cap), with labels built so that its shift reproduces `targets`.
      const lab = new Int32Array(N + 1).fill(-100);
      targets.forEach((y, i) => { lab[i + 1] = y < 0 ? -100 : y; });
      expect(shiftLabels(lab, 1, N + 1).count).toBe(count);
      const ref = lossAndGrads(() => {
        const z = tf.mul(tf.tanh(tf.div(tf.matMul(x, w), cap)), cap);
        const padded = tf.reshape(tf.concat([z, tf.zeros([1, V])], 0), [1, N + 1, V]);
        return causalLmLoss(padded, lab) as tf.Scalar;
      }, [x]);
      const before = tf.memory().numTensors;
      const got = lossAndGrads(() => linearCrossEntropy(x, { w }, { targets, count, softcap: cap, chunkTokens: 4 }), [x]);
      expect(Math.abs(got.loss - ref.loss)).toBeLessThan(1e-5 * ref.loss);
      expect(maxDiff(got.grads[0], ref.grads[0])).toBeLessThan(1e-6);
      // The two-pass form over vocabulary slices decoded on demand (quantized heads): slices of 1, 7 and 15 columns.
      const segments: [number, number][] = [[0, 1], [1, 7], [8, 15]];
      const sliced = lossAndGrads(() => slicedLinearCrossEntropy(x, { V, segments, slice: (c0, n) => tf.slice(w, [0, c0], [C, n]) }, { targets, count, softcap: cap }), [x]);
      expect(Math.abs(sliced.loss - ref.loss)).toBeLessThan(1e-5 * ref.loss);
      expect(maxDiff(sliced.grads[0], ref.grads[0])).toBeLessThan(1e-6);
      expect(tf.memory().numTensors).toBe(before);
      for (const t of [x, w]) t.dispose();
    });

    const methods: [string, (m: ReturnType<typeof randomModel>) => Adapter][] = [
      ['LoRA with dropout', (m) => attachLora(m, loraConfig({ r: 4, lora_alpha: 8, lora_dropout: 0.2, target_modules: ['q_proj', 'v_proj', 'up_proj', 'down_proj'] as never, init_lora_weights: false as never }), { seed: 3 })],
      ['DoRA', (m) => attachLora(m, loraConfig({ r: 4, lora_alpha: 8, use_dora: true, target_modules: ['q_proj', 'o_proj', 'gate_proj'] as never, init_lora_weights: false as never }), { seed: 4 })],
      ['IA3', (m) => attachIa3(m, { target_modules: ['k_proj', 'v_proj', 'down_proj'], feedforward_modules: ['down_proj'], init_ia3_weights: false } as never, { seed: 5 })],
      ['prompt tuning', (m) => attachPromptTuning(m, { num_virtual_tokens: 3 } as never, { seed: 6 })],
    ];
    for (const [name, attach] of methods) {
      it(`recomputing each block gives the same ${name} gradients as keeping the tape`, () => {
        const model = randomModel({ ...CFG, tie_word_embeddings: true }, 7);
        const adapter = attach(model);
        const vars = [...adapter.params.values()];
        const ref = lossAndGrads(() => {
          const out = adapterForward(model, adapter, batch, { train: true, seed: 11, labels });
          return causalLmLoss(out.logits!, out.labels ?? labels) as tf.Scalar;
        }, vars);
        const before = tf.memory().numTensors;
        const got = lossAndGrads(() => objective(model, adapter, { recompute: true })(batch, { rng: fixedRng, training: true }) as tf.Scalar, vars);
        expect(tf.memory().numTensors).toBe(before);
        expect(Math.abs(got.loss - ref.loss)).toBeLessThan(1e-5 * ref.loss);
        const scale = Math.max(...ref.grads.map((g) => Math.max(...g.map(Math.abs))));
        expect(scale).toBeGreaterThan(0);
        ref.grads.forEach((g, i) => expect(maxDiff(got.grads[i], g)).toBeLessThan(1e-5 * scale));
        adapter.dispose();
        model.dispose();
      });
    }
  });
}
