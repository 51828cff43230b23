/**
 * Quantize-at-load and split-at-load (model/layout.ts, build-weight.ts, load.ts) on cpu: a quantized checkpoint gives
 * the logits of the f32 model whose weights are the reference-dequantized values (src/quant, plain TS); a tiny forced
 * binding limit splits weights without changing logits; BF16 files quantize like their F32 twins; matrices are read in
 * chunks no bigger than asked; and the Qwen2.5-0.5B / Llama-3.2-1B plans fit a 128 MiB binding, derived by hand.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { initBackend } from '../../src/platform/backend';
import { loadModel } from '../../src/model/load';
import { parseConfig } from '../../src/model/config';
import { forward } from '../../src/model/transformer';
import { planWeights, plannedBytes, QUANT_BLOCK_BYTES } from '../../src/model/layout';
import { QTensor, SplitWeight } from '../../src/kernels/qtensor';
import type { QuantSpec } from '../../src/kernels/packed';
import type { Model } from '../../src/model/types';
import type { ModelSource } from '../../src/model/load';
import { createQuantizer } from '../../src/quant';
import { bytesReader } from '../../src/model/safetensors';
import { memSource } from '../helpers/mem-source';
import { compareClose } from '../helpers/fixtures';
import { TINY_LLAMA, tinyCheckpoint } from './tiny-checkpoint';
import { referenceModel } from './reference-model';

const TIED = { ...TINY_LLAMA, tie_word_embeddings: true };
const IDS = Int32Array.from([5, 300, 17, 0, 42, 99, 7, 250]);

async function logits(m: Model): Promise<Float32Array> {
  const out = forward(m, { ids: IDS, B: 2, T: 4 });
  const d = (await out.logits!.data()) as Float32Array;
  out.logits!.dispose();
  return d;
}

function expectClose(a: Float32Array, b: Float32Array, tol: number) {
  const r = compareClose(a, b, tol, tol);
  expect(r.worst, `max |Δ| ${r.maxAbs}`).toBeLessThanOrEqual(0);
}

describe('quantized and split loading (cpu)', () => {
  beforeAll(async () => {
    await initBackend({ prefer: ['cpu'] });
  });

  for (const raw of [TINY_LLAMA, TIED])
    for (const spec of [{ bits: 4, groupSize: 32, symmetric: false }, { bits: 8, groupSize: 64, symmetric: true }] as QuantSpec[])
      it(`${raw.tie_word_embeddings ? 'tied' : 'untied'}, int${spec.bits}: logits equal the reference-dequantized f32 model; nothing leaks`, async () => {
        const files = tinyCheckpoint(raw);
        const before = tf.memory().numTensors;
        const f32 = await loadModel(memSource(files));
        const ref = await referenceModel(f32, spec);
        const q = await loadModel(memSource(files), { quantizer: createQuantizer(spec) });
        expect(q.weights.get('layers.0.q.w')).toBeInstanceOf(QTensor);
        expect(q.weights.get('embed')).toBeInstanceOf(QTensor);
        expect(q.weights.get('embed')!.shape).toEqual([72, 301]); // head layout [C, V]
        expect(q.weights.get('lm_head.w') === q.weights.get('embed')).toBe(raw.tie_word_embeddings);
        expect(q.weights.get('layers.0.attn_norm.w')).toBeInstanceOf(tf.Tensor);
        expectClose(await logits(q), await logits(ref), 1e-6);
        for (const m of [f32, ref, q]) m.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });

  it('a tiny forced binding limit splits weights (f32 and int4, tied and untied) without changing the logits', async () => {
    const spec: QuantSpec = { bits: 4, groupSize: 32, symmetric: true };
    for (const raw of [TINY_LLAMA, TIED]) {
      const files = tinyCheckpoint(raw, { seed: 3 });
      const whole = await loadModel(memSource(files));
      const split = await loadModel(memSource(files), { maxBindingBytes: 8 << 10 });
      // [301, 72] f32 is 86,688 bytes: 11 row blocks of <= 28 rows when untied; tied, the shared head layout [72, 301].
      const e = split.weights.get('embed') as SplitWeight;
      expect(e).toBeInstanceOf(SplitWeight);
      expect([e.axis, e.blocks.length]).toEqual(raw.tie_word_embeddings ? [1, 11] : [0, 11]);
      expect(split.weights.get('layers.1.down.w')).toBeInstanceOf(SplitWeight); // [100, 72] f32 = 28,800 bytes
      expectClose(await logits(split), await logits(whole), 1e-5);
      const q = await loadModel(memSource(files), { quantizer: createQuantizer(spec) });
      const qs = await loadModel(memSource(files), { quantizer: createQuantizer(spec), maxBindingBytes: 8 << 10 });
      expect((qs.weights.get('lm_head.w') as SplitWeight).blocks.every((b) => b.w instanceof QTensor)).toBe(true);
      expectClose(await logits(qs), await logits(q), 1e-5);
      for (const m of [whole, split, q, qs]) m.dispose();
    }
  });

  it('a BF16 file quantizes to the same words as its F32 twin; matrices stream in chunks no larger than asked', async () => {
    const spec: QuantSpec = { bits: 4, groupSize: 64, symmetric: true };
    const f32Files = tinyCheckpoint(TINY_LLAMA, { seed: 5 }), bf16Files = tinyCheckpoint(TINY_LLAMA, { seed: 5, dtype: 'BF16' });
    const reads: number[] = [];
    const src: ModelSource = {
      ...memSource(bf16Files),
      reader: async (n) => {
        const r = bytesReader(bf16Files[n] as Uint8Array);
        return { size: r.size, read: (o, l) => (reads.push(l), r.read(o, l)) };
      },
    };
    const quantizer = createQuantizer(spec);
    const a = await loadModel(src, { quantizer, chunkBytes: 4096 });
    const b = await loadModel(memSource(f32Files), { quantizer: createQuantizer(spec) });
    for (const name of ['embed', 'layers.1.down.w', 'lm_head.w']) {
      expect((a.weights.get(name) as QTensor).dequantize().dataSync()).toEqual((b.weights.get(name) as QTensor).dequantize().dataSync());
    }
    // Reads after the two header reads: each a chunk of whole bf16 rows, at most 4096 f32 bytes' worth (2048 bytes).
    expect(Math.max(...reads.slice(2))).toBeLessThanOrEqual(2048);
    const report = quantizer.report();
    expect(report.map((r) => r.name)).toContain('layers.1.down.w');
    expect(report.find((r) => r.name === 'embed')!.count).toBe(301 * 72);
    for (const r of report) expect(r.relRmsError).toBeLessThan(0.2);
    a.dispose();
    b.dispose();
  });
});

describe('plans for real shapes with a 128 MiB binding limit (no allocation)', () => {
  const MiB = 2 ** 20;
  const QWEN = { model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, tie_word_embeddings: true, rms_norm_eps: 1e-6, rope_theta: 1e6, max_position_embeddings: 32768 };
  const LLAMA = { model_type: 'llama', vocab_size: 128256, hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 16, num_attention_heads: 32, num_key_value_heads: 8, tie_word_embeddings: true, rms_norm_eps: 1e-5, rope_theta: 5e5, max_position_embeddings: 131072, head_dim: 64 };
  // Hand-derived: a head-layout column is C·4 bytes. f32: floor(128 MiB / 3584) = 37449 columns per block -> Qwen's
  // 151936 need 5 blocks; floor(128 MiB / 8192) = 16384 -> Llama's 128256 need 8. Quantized blocks decode to at most
  // 64 MiB: 18724 columns -> 9 blocks (Qwen); 8192 -> 16 blocks (Llama).
  const cases: [string, Record<string, unknown>, number, number][] = [['Qwen2.5-0.5B', QWEN, 5, 9], ['Llama-3.2-1B', LLAMA, 8, 16]];
  for (const [label, raw, f32Blocks, qBlocks] of cases)
    it(`${label}: every block under the limit; the tied head shares the embedding's blocks`, () => {
      const config = parseConfig(raw);
      for (const quant of [null, { bits: 4, groupSize: 64, symmetric: true }, { bits: 8, groupSize: 64, symmetric: true }] as (QuantSpec | null)[]) {
        const plan = planWeights(config, { quant, maxBindingBytes: 128 * MiB });
        for (const p of plan) for (const b of p.blocks) expect(4 * b.size * (p.shape.length === 2 ? p.shape[1 - p.axis] : 1), p.ours).toBeLessThanOrEqual(quant && p.form === 'quantized' ? QUANT_BLOCK_BYTES : 128 * MiB);
        const embed = plan.find((p) => p.ours === 'embed')!, head = plan.find((p) => p.ours === 'lm_head.w')!;
        expect(embed.shape).toEqual([config.hidden, config.vocabSize]);
        expect(embed.blocks.length).toBe(quant ? qBlocks : f32Blocks);
        expect([head.sharedWith, head.bytes]).toEqual(['embed', 0]);
        // Quantized matrices hold about (bits + 32/64) / 32 of their f32 bytes (scales: one f32 per 64 weights).
        const ratio = plannedBytes(plan) / plannedBytes(planWeights(config, { quant: null, maxBindingBytes: 128 * MiB }));
        if (quant) expect(ratio).toBeCloseTo((quant.bits + 0.5) / 32, 2);
      }
    });
});
