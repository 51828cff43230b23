/**
 * Real-shaped random checkpoints for the benches (real-models.ts, long-context.ts): HF folders with config.json,
 * sharded safetensors and an index, and the embedded model's tokenizer, written once into a folder and reused.
 * Random weights: they measure memory and speed, not learning.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseConfig } from '../../src/model/config';
import { expandTable } from '../../src/model/weights';
import { writeSafetensors } from '../../src/model/safetensors';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export const CONFIGS: Record<string, Record<string, unknown>> = {
  smollm2: { architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: 49152, hidden_size: 576, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, intermediate_size: 1536, rms_norm_eps: 1e-5, rope_theta: 100000, max_position_embeddings: 8192, tie_word_embeddings: true, bos_token_id: 0, eos_token_id: 0, torch_dtype: 'float32' },
  qwen05: { architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, intermediate_size: 4864, rms_norm_eps: 1e-6, rope_theta: 1000000, max_position_embeddings: 32768, tie_word_embeddings: true, bos_token_id: 151643, eos_token_id: 151643, torch_dtype: 'bfloat16' },
  llama1b: { architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: 128256, hidden_size: 2048, num_hidden_layers: 16, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 64, intermediate_size: 8192, rms_norm_eps: 1e-5, rope_theta: 500000, max_position_embeddings: 131072, tie_word_embeddings: true, bos_token_id: 128000, eos_token_id: 128001, torch_dtype: 'bfloat16' },
};

/** N(0, 0.02)-ish values from a seeded xorshift (sum of 4 uniforms: fast, and the shape is what matters). */
function randomFill(n: number, seed: number, bf16: boolean): Float32Array | Uint16Array {
  let s = seed >>> 0 || 1;
  const u = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>> 0) / 4294967296);
  const draw = () => (u() + u() + u() + u() - 2) * 0.035;
  if (!bf16) return Float32Array.from({ length: n }, draw);
  // bf16 by truncation: the high half of each f32.
  const one = new Float32Array(1), bits = new Uint32Array(one.buffer);
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    one[0] = draw();
    out[i] = bits[0] >>> 16;
  }
  return out;
}

/** The checkpoint `name` (a key of CONFIGS) under `dir`, written unless it is there already. */
export function writeCheckpoint(dir: string, name: string): string {
  const out = path.join(dir, name);
  if (existsSync(path.join(out, 'model.safetensors.index.json'))) return out;
  mkdirSync(out, { recursive: true });
  const raw = CONFIGS[name];
  const cfg = parseConfig(raw);
  const bf16 = raw.torch_dtype === 'bfloat16';
  const weightMap: Record<string, string> = {};
  let shard: Record<string, { dtype?: 'F32' | 'BF16'; shape: number[]; data: Float32Array | Uint16Array }> = {};
  let shardBytes = 0, shardNo = 0, seed = 1;
  const flush = () => {
    if (!shardBytes) return;
    const file = `model-${String(++shardNo).padStart(5, '0')}.safetensors`;
    writeFileSync(path.join(out, file), writeSafetensors(shard));
    for (const k of Object.keys(shard)) weightMap[k] = file;
    shard = {}; shardBytes = 0;
  };
  for (const s of expandTable(cfg)) {
    if (s.ours === 'lm_head.w' && cfg.tieEmbeddings) continue;
    if (s.optional && !/\.bias$/.test(s.hf)) continue;
    if (s.optional && raw.model_type !== 'qwen2') continue;
    const shape = s.kind === 'linear' ? [...s.shape(cfg)].reverse() : s.shape(cfg); // HF keeps nn.Linear as [out, in]
    const n = shape.reduce((a, d) => a * d, 1);
    const isNorm = /norm/.test(s.hf);
    const data = isNorm ? (bf16 ? new Uint16Array(n).fill(0x3f80) : new Float32Array(n).fill(1)) : randomFill(n, seed++, bf16);
    shard[s.hf] = { dtype: bf16 ? 'BF16' : 'F32', shape, data };
    shardBytes += data.byteLength;
    if (shardBytes > 400e6) flush();
  }
  flush();
  writeFileSync(path.join(out, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  writeFileSync(path.join(out, 'config.json'), JSON.stringify(raw, null, 2));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(path.join(root, 'public/models/webift-tiny', f), path.join(out, f));
  return out;
}
