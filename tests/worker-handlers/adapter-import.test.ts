/**
 * Importing a PEFT adapter into the session worker (adapter-import.ts through the real handler table) on the
 * committed webift-tiny model: a round trip of the exported PEFT files installs an adapter with the same tensors;
 * from the hub (an in-memory source in the hub's place) likewise; and each bad input (a corrupt safetensors header,
 * target modules the model lacks, another rank, another base model, a repo without adapter files) is ONE message,
 * while the current adapter stays installed and usable.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/platform/backend';
import { adapterTensors } from '../../src/peft';
import { memoryCheckpointStore } from '../../src/train/checkpoint';
import type { HandlerContext } from '../../src/protocol/serve';
import type { ExportResult } from '../../src/protocol/train-api';
import { modelStem } from '../../src/worker-handlers/adapter-import';
import { importAdapter } from '../../src/worker-handlers/train-export';
import { createTrainHandlers } from '../../src/worker-handlers/train-handlers';
import { newSession, type Session } from '../../src/worker-handlers/session';
import { memorySource } from '../../src/worker-handlers/model-sources';
import { memSource } from '../helpers/mem-source';

const DIR = path.join(import.meta.dirname, '..', '..', 'public', 'models', 'webift-tiny');
const ctx = { signal: new AbortController().signal, progress: () => undefined } as HandlerContext<never>;
let session: Session;
let files: { config: string; weights: Uint8Array };

beforeAll(async () => {
  const backend = initBackend({ prefer: ['wasm'] });
  // A trained adapter to export: 2 LoRA steps through the real handlers, then its PEFT zip.
  const h = createTrainHandlers(backend, memoryCheckpointStore());
  const modelFiles = readdirSync(DIR).filter((f) => /\.(json|safetensors)$/.test(f)).map((name) => ({ name, bytes: new Uint8Array(readFileSync(path.join(DIR, name))).buffer }));
  await h.loadModel({ files: modelFiles, label: 'webift-tiny (embedded)' }, ctx);
  const records = Array.from({ length: 8 }, (_, i) => JSON.stringify({ instruction: `Add ${i} and 1.`, input: '', output: `${i + 1}` })).join('\n');
  await h.prepareData({ sources: [{ name: 'r.jsonl', text: records, weight: 1 }], cutoffLen: 96, promptFormat: 'alpaca', trainOnInputs: false }, ctx);
  const peft = { method: 'LORA', r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj'], useRslora: false, useDora: false, virtualTokens: 8 } as const;
  await h.train({ peft: { ...peft, targetModules: [...peft.targetModules] }, config: { maxSteps: 2, batchSize: 2, cutoffLen: 96, evalSplit: 0, lr: 1e-2, warmupSteps: 0 }, resume: false, experimentJson: '{}' }, ctx);
  const zip = unzipSync(((await h.exportAdapter({ format: 'peft' }, ctx)) as ExportResult).bytes);
  files = { config: strFromU8(zip['adapter_config.json']), weights: zip['adapter_model.safetensors'] };
  // A fresh session on the same model files, so each test sees import alone.
  session = newSession(backend);
  const { loadModel } = await import('../../src/model/load');
  session.source = memorySource(modelFiles, 'webift-tiny (embedded)');
  session.model = await loadModel(session.source);
});

const withConfig = (patch: Record<string, unknown>) => JSON.stringify({ ...JSON.parse(files.config), ...patch });

async function tensorsOf(s: Session) {
  return Object.fromEntries(Object.entries(await adapterTensors(s.adapter!)).map(([k, t]) => [k, Array.from(t.data)]));
}

describe('importAdapter', () => {
  it('installs the exported files, tensors equal to the trained ones; chat then uses session.adapter', async () => {
    const r = await importAdapter(session, { ...files, label: 'webift-adapter.zip' });
    expect(r).toMatchObject({ method: 'LORA', source: 'webift-adapter.zip', baseModel: 'webift-tiny (embedded)', warning: null });
    // r=4 on q_proj and v_proj (128 -> 128) of 4 layers: 4 * 2 * (4*128 + 128*4) = 8192 parameters.
    expect(r.trainableParams).toBe(8192);
    const t = await tensorsOf(session);
    expect(Object.keys(t)).toHaveLength(16);
    const b0 = t['base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight'];
    expect(b0.some((v) => v !== 0)).toBe(true); // trained: B moved off its zero init
  });

  it('each misfit is one message and the current adapter stays', async () => {
    await importAdapter(session, files);
    const kept = session.adapter!;
    const before = await tensorsOf(session);
    const bad = new Uint8Array(files.weights);
    new DataView(bad.buffer).setUint32(0, 0xfffffff0, true); // header length past the end of the file
    const cases: [string, { config: string; weights: Uint8Array }, RegExp][] = [
      ['corrupt header', { config: files.config, weights: bad }, /^This adapter does not fit the loaded model \(webift-tiny \(embedded\)\): adapter_model\.safetensors: header length \d+ does not fit in a \d+-byte file \(truncated or not safetensors\)\. It was made for webift-tiny \(embedded\)\. The current adapter is kept\.$/],
      ['modules the model lacks', { config: withConfig({ target_modules: ['c_attn'] }), weights: files.weights }, /target modules \["c_attn"\] not found in the base model .* The current adapter is kept\.$/],
      ['another rank', { config: withConfig({ r: 8 }), weights: files.weights }, /has shape \[4,128\], expected \[r, in\] with r=8, in=128/],
      ['another base model', { config: withConfig({ r: 8, base_model_name_or_path: 'HuggingFaceTB/SmolLM2-135M' }), weights: files.weights }, /It was made for HuggingFaceTB\/SmolLM2-135M; load that model first\. The current adapter is kept\.$/],
      ['bad JSON', { config: '{"peft_type": ', weights: files.weights }, /adapter_config\.json is not valid JSON/],
    ];
    for (const [what, p, want] of cases) {
      const err = await importAdapter(session, p).then(() => null, (e: Error) => e);
      expect(err?.message, what).toMatch(want);
      expect(session.adapter, what).toBe(kept);
    }
    expect(await tensorsOf(session)).toEqual(before); // not disposed, not changed
  });

  it('a matching adapter made for another base model loads, with a warning', async () => {
    const r = await importAdapter(session, { config: withConfig({ base_model_name_or_path: 'someone/other-model' }), weights: files.weights });
    expect(r.warning).toBe('It was trained on someone/other-model, not on webift-tiny (embedded). The shapes match, so it loaded, but its replies may be poor.');
  });

  it('from the hub: downloads the two files; a repo without them is one message', async () => {
    const asked: string[] = [];
    const hub = (h: { repo: string; revision?: string }) => {
      asked.push(`${h.repo}@${h.revision ?? 'main'}`);
      return h.repo === 'org/lora' ? memSource({ 'adapter_config.json': files.config, 'adapter_model.safetensors': files.weights }) : memSource({ 'config.json': '{}' });
    };
    const r = await importAdapter(session, { hub: { repo: 'org/lora', revision: 'v1' } }, { hub });
    expect(r).toMatchObject({ method: 'LORA', source: 'org/lora@v1', trainableParams: 8192 });
    await expect(importAdapter(session, { hub: { repo: 'org/model' } }, { hub })).rejects.toThrow('org/model@main has no adapter_config.json, so it is not a PEFT adapter repo. The current adapter is kept.');
    await expect(importAdapter(session, { hub: { repo: 'not a repo' } }, { hub })).rejects.toThrow(/is not a hub repo id/);
    const down = () => ({ label: 'x', readText: async () => { throw new Error('network down'); }, reader: async () => null });
    await expect(importAdapter(session, { hub: { repo: 'org/lora' } }, { hub: down })).rejects.toThrow('The adapter org/lora@main could not be downloaded from the hub: network down. The current adapter is kept.');
    expect(asked).toEqual(['org/lora@v1', 'org/model@main']);
  });

  it('modelStem names a model across hub, URL and label forms', () => {
    expect(modelStem('https://huggingface.co/HuggingFaceTB/SmolLM2-135M@main')).toBe('smollm2-135m');
    expect(modelStem('HuggingFaceTB/SmolLM2-135M')).toBe('smollm2-135m');
    expect(modelStem('webift-tiny (embedded)')).toBe('webift-tiny');
    expect(modelStem('/home/me/models/SmolLM2-135M/')).toBe('smollm2-135m');
    expect(modelStem(null)).toBe('');
  });
});
