/**
 * Random models of any supported shape, for benchmarks and tests that need a realistic size but no checkpoint.
 * Weights ~ N(0, 0.02) (norm weights 1, biases 0), seeded. Not a substitute for the golden-fixture parity tests.
 */
import { tf } from '../kernels/tf';
import { parseConfig } from './config';
import { modelFromWeights } from './load';
import { expandTable } from './weights';
import type { Tensor } from '../kernels/tf';
import type { Model } from './types';

/** The SmolLM2-135M shape (HuggingFaceTB/SmolLM2-135M config.json). */
export const SMOLLM2_135M_CONFIG = {
  model_type: 'llama', vocab_size: 49152, hidden_size: 576, num_hidden_layers: 30, num_attention_heads: 9,
  num_key_value_heads: 3, intermediate_size: 1536, rms_norm_eps: 1e-5, rope_theta: 100000, max_position_embeddings: 8192,
  tie_word_embeddings: true, bos_token_id: 0, eos_token_id: 0,
};

export function randomModel(rawConfig: Record<string, unknown>, seed = 0): Model {
  const config = parseConfig(rawConfig);
  const weights = new Map<string, Tensor>();
  let s = seed;
  for (const spec of expandTable(config)) {
    if (spec.optional && spec.ours !== 'lm_head.w') continue;
    if (spec.ours === 'lm_head.w' && config.tieEmbeddings) continue;
    const shape = spec.shape(config);
    const isNorm = /norm\.w$/.test(spec.ours);
    const t = spec.kind === 'vector' ? (isNorm ? (config.normPlusOne ? tf.zeros(shape) : tf.ones(shape)) : tf.zeros(shape)) : tf.randomNormal(shape, 0, 0.02, 'float32', s++);
    weights.set(spec.ours, t);
  }
  if (!weights.has('lm_head.w')) weights.set('lm_head.w', tf.transpose(weights.get('embed')!));
  return modelFromWeights(config, weights);
}
