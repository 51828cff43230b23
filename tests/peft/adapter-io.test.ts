/**
 * adapter-io round trips against PEFT's own files, cpu: for every case's lora/ (and llama-gqa's ia3/, prompt_tuning/,
 * prefix_tuning/), load -> save gives exactly PEFT's key set, shapes and values and an equivalent adapter_config.json,
 * and reloading the saved bytes gives identical logits. Broken files fail with errors that name the problem.
 */
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { initBackend } from '../../src/platform/backend';
import { bytesReader, SafetensorsFile, writeSafetensors, type WritableTensor } from '../../src/model/safetensors';
import type { Model } from '../../src/model/types';
import { adapterForward, type Adapter } from '../../src/peft/adapter';
import { AdapterFileError, loadAdapter, saveAdapter } from '../../src/peft/adapter-io';
import { PeftConfigError } from '../../src/peft/config';
import { CASES, haveShared } from '../helpers/fixtures';
import { adapterFiles, batch, caseModel } from './peft-fixtures';

async function readAll(bytes: Uint8Array): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const f = await SafetensorsFile.open(bytesReader(bytes));
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const n of f.names()) out.set(n, await f.float32(n));
  return out;
}

async function logits(model: Model, adapter: Adapter, c: string): Promise<Float32Array> {
  const { labels: _l, ...inp } = batch(c);
  const out = adapterForward(model, adapter, inp);
  const d = (await out.logits!.data()) as Float32Array;
  out.logits!.dispose();
  return d;
}

/** The config as a comparable object: target lists as sorted sets. */
function normalise(json: string): Record<string, unknown> {
  const o = JSON.parse(json) as Record<string, unknown>;
  for (const k of ['target_modules', 'feedforward_modules']) if (Array.isArray(o[k])) o[k] = [...(o[k] as string[])].sort();
  return o;
}

const VARIANTS: [string, string][] = [...CASES.map((c): [string, string] => [c, 'lora']), ['llama-gqa', 'ia3'], ['llama-gqa', 'prompt_tuning'], ['llama-gqa', 'prefix_tuning']];

describe.skipIf(!haveShared('PEFT adapter files: round trip (cpu)'))('PEFT adapter files: round trip (cpu)', () => {
  beforeAll(async () => {
    await initBackend({ prefer: ['cpu'] });
  });

  for (const [c, sub] of VARIANTS) {
    it(`${c}/${sub}: load -> save is PEFT's files; reload gives identical logits`, async () => {
      const model = await caseModel(c);
      const before = tf.memory().numTensors;
      const files = adapterFiles(c, sub);
      const adapter = await loadAdapter(model, files);
      const saved = await saveAdapter(adapter, { baseModelNameOrPath: '' });
      const want = await readAll(files.weights), got = await readAll(saved.weights);
      expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [k, t] of want) {
        expect(got.get(k)!.shape, k).toEqual(t.shape);
        expect(got.get(k)!.data, k).toEqual(t.data); // transposes only: bit-exact
      }
      expect(normalise(saved.config)).toEqual(normalise(files.config));
      const again = await loadAdapter(model, saved);
      expect(await logits(model, again, c)).toEqual(await logits(model, adapter, c));
      again.dispose();
      adapter.dispose();
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });
  }

  describe('clear errors for broken adapters (llama-gqa lora)', () => {
    let model: Model;
    let tensors: Map<string, { shape: number[]; data: Float32Array }>;
    const files = () => adapterFiles('llama-gqa', 'lora');
    const write = (m: Map<string, { shape: number[]; data: Float32Array }>) => writeSafetensors(Object.fromEntries(m) as Record<string, WritableTensor>);
    beforeAll(async () => {
      model = await caseModel('llama-gqa');
      tensors = await readAll(files().weights);
    });
    afterAll(() => model?.dispose());

    it('wrong r', async () => {
      const config = JSON.stringify({ ...JSON.parse(files().config), r: 8 });
      const before = tf.memory().numTensors;
      await expect(loadAdapter(model, { config, weights: files().weights })).rejects.toThrow(/has shape \[4,64\], expected \[r, in\] with r=8, in=64/);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('missing key', async () => {
      const m = new Map(tensors);
      m.delete('base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight');
      await expect(loadAdapter(model, { config: files().config, weights: write(m) })).rejects.toThrow(/lacks 'base_model\.model\.model\.layers\.1\.self_attn\.v_proj\.lora_B\.weight'/);
    });

    it('unknown module (a layer the model does not have)', async () => {
      const m = new Map(tensors);
      m.set('base_model.model.model.layers.7.self_attn.q_proj.lora_A.weight', { shape: [4, 64], data: new Float32Array(256) });
      await expect(loadAdapter(model, { config: files().config, weights: write(m) })).rejects.toThrow(/not a linear module of this llama model \(2 layers\)/);
    });

    it('a module the config does not target', async () => {
      const m = new Map(tensors);
      m.set('base_model.model.model.layers.0.mlp.down_proj.lora_A.weight', { shape: [4, 128], data: new Float32Array(512) });
      await expect(loadAdapter(model, { config: files().config, weights: write(m) })).rejects.toThrow(/not selected by adapter_config\.json/);
    });

    it('bad config: invalid JSON, unsupported fields', async () => {
      await expect(loadAdapter(model, { config: '{', weights: files().weights })).rejects.toThrow(/not valid JSON/);
      const cfg = JSON.parse(files().config);
      await expect(loadAdapter(model, { config: { ...cfg, bias: 'all' }, weights: files().weights })).rejects.toThrow(PeftConfigError);
      await expect(loadAdapter(model, { config: { ...cfg, use_dora: true }, weights: files().weights })).rejects.toThrow(/lacks '.*lora_magnitude_vector'/);
      await expect(loadAdapter(model, { config: { ...cfg, peft_type: 'LOHA' }, weights: files().weights })).rejects.toThrow(/peft_type 'LOHA' is not supported/);
      await expect(loadAdapter(model, { config: { ...cfg, lora_bias: true }, weights: files().weights })).rejects.toThrow(/'lora_bias' = true is not supported/);
      // Newer PEFT fields at their defaults are fine.
      const ok = await loadAdapter(model, { config: { ...cfg, lora_bias: false, exclude_modules: null }, weights: files().weights });
      ok.dispose();
    });

    it('errors are AdapterFileError', async () => {
      const m = new Map(tensors);
      m.delete('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
      await expect(loadAdapter(model, { config: files().config, weights: write(m) })).rejects.toThrow(AdapterFileError);
    });
  });
});
