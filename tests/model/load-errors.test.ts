/**
 * Bad checkpoints give one clear error and leak nothing: unknown model_type, a missing tensor, a shape that
 * contradicts config.json, a truncated safetensors file.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { initBackend } from '../../src/platform/backend';
import { loadModel } from '../../src/model/load';
import { writeSafetensors } from '../../src/model/safetensors';
import { HAVE_SHARED, haveShared, caseDir } from '../helpers/fixtures';
import { memSource } from '../helpers/mem-source';

describe.skipIf(!haveShared('checkpoint errors'))('checkpoint errors', () => {
  const dir = path.join(caseDir('llama-gqa'), 'model');
  const config = HAVE_SHARED ? readFileSync(path.join(dir, 'config.json'), 'utf8') : '';
  const weights = HAVE_SHARED ? new Uint8Array(readFileSync(path.join(dir, 'model.safetensors'))) : new Uint8Array();
  beforeAll(async () => {
    await initBackend({ prefer: ['cpu'] });
  });

  it('unknown model_type', async () => {
    const cfg = JSON.stringify({ ...JSON.parse(config), model_type: 'mamba' });
    await expect(loadModel(memSource({ 'config.json': cfg, 'model.safetensors': weights }))).rejects.toThrow(/unknown model_type 'mamba'/);
  });

  it('shape mismatch names the tensor and both shapes, and frees what was loaded', async () => {
    const cfg = JSON.stringify({ ...JSON.parse(config), intermediate_size: 96 });
    const before = tf.memory().numTensors;
    await expect(loadModel(memSource({ 'config.json': cfg, 'model.safetensors': weights }))).rejects.toThrow(/shape mismatch for 'model.layers.0.mlp.gate_proj.weight': file has \[128,64\], config.json implies \[96,64\]/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('missing tensor', async () => {
    const only = writeSafetensors({ 'model.embed_tokens.weight': { shape: [320, 64], data: new Float32Array(320 * 64) } });
    await expect(loadModel(memSource({ 'config.json': config, 'model.safetensors': only }))).rejects.toThrow(/no tensor 'model.layers.0.input_layernorm.weight'/);
  });

  it('truncated safetensors', async () => {
    await expect(loadModel(memSource({ 'config.json': config, 'model.safetensors': weights.subarray(0, weights.length / 2) }))).rejects.toThrow(/truncated/);
  });

  it('missing config.json', async () => {
    await expect(loadModel(memSource({ 'model.safetensors': weights }))).rejects.toThrow(/config.json not found/);
  });
});
