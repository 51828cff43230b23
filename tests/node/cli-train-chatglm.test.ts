/**
 * `webift train --lora-target-modules query_key_value` (Alpaca-CoT's ChatGLM setting) on random tiny ChatGLM-6B and
 * ChatGLM2 checkpoints (config keys as THUDM's, webift-tiny's tokenizer beside them): the loss on a repeated batch falls over 4 steps and
 * the adapter has PEFT's key names for each version's fused query_key_value, with B's rows in that layout's size.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/platform/backend';
import { randomModel } from '../../src/model/random';
import { mergedHfWeights } from '../../src/peft/merge';
import { SafetensorsFile, bytesReader, writeSafetensors } from '../../src/model/safetensors';
import { EMBEDDED_MODEL_DIR } from '../helpers/fixtures';
import { webift } from '../helpers/cli';

const tmp = mkdtempSync(path.join(tmpdir(), 'webift-chatglm-'));
const data = path.join(tmp, 'data.jsonl');
const V1 = { model_type: 'chatglm', vocab_size: 928, hidden_size: 32, num_layers: 2, num_attention_heads: 4, inner_hidden_size: 64, layernorm_epsilon: 1e-5, max_sequence_length: 256, position_encoding_2d: true, tie_word_embeddings: false, bos_token_id: 1, eos_token_id: 2, pad_token_id: 3, mask_token_id: 4, gmask_token_id: 5 };
const V2 = { model_type: 'chatglm', padded_vocab_size: 928, vocab_size: 928, hidden_size: 32, num_layers: 2, num_attention_heads: 4, kv_channels: 8, multi_query_attention: true, multi_query_group_num: 2, ffn_hidden_size: 64, layernorm_epsilon: 1e-5, seq_length: 256, rmsnorm: true, add_qkv_bias: true, add_bias_linear: false, tie_word_embeddings: false, eos_token_id: 2, pad_token_id: 0 };

async function checkpoint(name: string, raw: Record<string, unknown>): Promise<string> {
  const dir = path.join(tmp, name);
  mkdirSync(dir);
  const model = randomModel(raw, 7);
  writeFileSync(path.join(dir, 'model.safetensors'), writeSafetensors(await mergedHfWeights(model)));
  model.dispose();
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(raw));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(path.join(EMBEDDED_MODEL_DIR, f), path.join(dir, f));
  return dir;
}

describe('webift train on ChatGLM checkpoints', () => {
  beforeAll(async () => {
    await initBackend({ prefer: ['cpu'] });
    // One record repeated: every step sees the same batch, so the loss must fall (random tiny models learn slowly).
    const records = Array.from({ length: 8 }, () => ({ instruction: 'Say the number 7.', input: '', output: 'The number is 7.' }));
    writeFileSync(data, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  });

  for (const [name, raw, qkvOut, prefix] of [
    ['chatglm', V1, 96, 'base_model.model.transformer.layers'],
    ['chatglm2', V2, 64, 'base_model.model.transformer.encoder.layers'],
  ] as const) {
    it(`${name}: the loss falls and the adapter has PEFT's query_key_value keys`, async () => {
      const model = await checkpoint(name, raw);
      const out = path.join(tmp, `${name}-run`);
      const r = webift(['train', '--model', model, '--data', data, '--out', out, '--peft', 'lora', '--lora-target-modules', 'query_key_value', '--batch-size', '4', '--grad-accum', '1', '--cutoff-len', '48', '--lr', '5e-2', '--warmup-steps', '0', '--max-steps', '4', '--eval-split', '0', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const steps = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.kind === 'step');
      expect(steps).toHaveLength(4);
      console.log(`[${name}] CLI train losses ${steps.map((s) => s.loss.toFixed(4)).join(' ')}`);
      expect(steps[3].loss).toBeLessThan(steps[0].loss);
      const file = await SafetensorsFile.open(bytesReader(new Uint8Array(readFileSync(path.join(out, 'adapter', 'adapter_model.safetensors')))), 'adapter');
      const attn = name === 'chatglm' ? 'attention' : 'self_attention';
      expect(file.names().sort()).toEqual([0, 1].flatMap((l) => ['A', 'B'].map((m) => `${prefix}.${l}.${attn}.query_key_value.lora_${m}.weight`)));
      expect(file.header.tensors[`${prefix}.0.${attn}.query_key_value.lora_B.weight`].shape).toEqual([qkvOut, 8]);
      expect(JSON.parse(readFileSync(path.join(out, 'adapter', 'adapter_config.json'), 'utf8')).target_modules).toEqual(['query_key_value']);
    });
  }
});
