/**
 * Small random HF checkpoints in memory (config.json + model.safetensors in HF layout, F32 or BF16) for loader and
 * quantization tests: awkward sizes on purpose (hidden 72, intermediate 100: groups and words that do not divide).
 */
import { parseConfig } from '../../src/model/config';
import { expandTable } from '../../src/model/weights';
import { writeSafetensors, type WritableTensor } from '../../src/model/safetensors';
import { mulberry32 } from '../../src/util/mulberry32';

export const TINY_LLAMA = {
  model_type: 'llama', vocab_size: 301, hidden_size: 72, intermediate_size: 100, num_hidden_layers: 2, num_attention_heads: 4,
  num_key_value_heads: 2, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 64, tie_word_embeddings: false,
};

/** bf16 bit pattern of x (truncation) and its f32 value. */
function bf16(x: number): [number, number] {
  const bits = new Uint32Array(new Float32Array([x]).buffer)[0] >>> 16;
  return [bits, new Float32Array(new Uint32Array([bits << 16]).buffer)[0]];
}

/** HF-layout files; values are bf16-representable so F32 and BF16 files hold the same numbers. */
export function tinyCheckpoint(raw: Record<string, unknown>, opts: { seed?: number; dtype?: 'F32' | 'BF16' } = {}): Record<string, string | Uint8Array> {
  const config = parseConfig(raw);
  const rng = mulberry32(opts.seed ?? 1);
  const tensors: Record<string, WritableTensor> = {};
  for (const s of expandTable(config)) {
    if (s.ours === 'lm_head.w' && config.tieEmbeddings) continue;
    if (s.optional && s.ours !== 'lm_head.w') continue;
    const ours = s.shape(config);
    const shape = s.kind === 'linear' ? [ours[1], ours[0]] : ours;
    const n = shape.reduce((a, d) => a * d, 1);
    const isNorm = /norm\.w$/.test(s.ours);
    const pairs = Array.from({ length: n }, () => bf16(isNorm ? 1 + (rng() - 0.5) * 0.2 : (rng() - 0.5) * 0.2));
    tensors[s.hf] = opts.dtype === 'BF16'
      ? { dtype: 'BF16', shape, data: Uint16Array.from(pairs, (p) => p[0]) }
      : { shape, data: Float32Array.from(pairs, (p) => p[1]) };
  }
  return { 'config.json': JSON.stringify(raw), 'model.safetensors': writeSafetensors(tensors) };
}
