/**
 * Exports of the current adapter as bytes for a download: the PEFT folder as a zip (adapter_config.json +
 * adapter_model.safetensors, fflate), a llama.cpp GGUF LoRA file, or the merged model as a zip (merge, read the HF
 * weights, unmerge: the live adapter keeps training). Import loads a PEFT adapter onto the model, replacing the
 * current one (adapter-import.ts). Same verbs as src/node/commands/export.ts. Not handled: the File System Access API (the UI's part).
 */
import { strToU8, zipSync } from 'fflate';
import { adapterTensors, mergeAdapter, mergedHfWeights, saveAdapter, unmergeAdapter, type LoraConfig } from '../peft';
import { exportLoraGguf } from '../peft/gguf';
import { writeSafetensors } from '../model/safetensors';
import type { ExportFormat, ExportResult, ImportAdapterParams, ImportAdapterResult } from '../protocol/train-api';
import { importAdapterInto, type ImportDeps } from './adapter-import';
import { needModel, userError, type Session } from './session';
import { adapterReplaced } from './train-live';

const SIDE_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

export async function exportAdapter(session: Session, format: ExportFormat): Promise<ExportResult> {
  await session.backend;
  const { model, source } = needModel(session);
  const adapter = session.adapter;
  if (!adapter) throw userError('There is no adapter to export yet. Press Start training (even a few steps make one), or import one.');
  if (format === 'peft') {
    const files = await saveAdapter(adapter, { baseModelNameOrPath: source.label });
    const bytes = zipSync({ 'adapter_config.json': strToU8(files.config), 'adapter_model.safetensors': files.weights });
    return { fileName: 'webift-adapter.zip', mime: 'application/zip', bytes, files: ['adapter_config.json', 'adapter_model.safetensors'] };
  }
  if (format === 'gguf') {
    if (adapter.method !== 'LORA') throw userError(`GGUF export is for LoRA adapters; this one is ${adapter.method}. Export it in PEFT format instead.`);
    const cfg = adapter.config as LoraConfig;
    const tensors = new Map(Object.entries(await adapterTensors(adapter)).map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }]));
    try {
      const bytes = exportLoraGguf({ family: model.config.family, alpha: cfg.lora_alpha, r: cfg.r, useRslora: cfg.use_rslora, heads: model.config.heads, kvHeads: model.config.kvHeads, tiedEmbeddings: model.config.tieEmbeddings, tensors, name: 'webift-adapter' });
      return { fileName: 'webift-adapter.gguf', mime: 'application/octet-stream', bytes, files: [] };
    } catch (e) {
      throw userError(`This adapter cannot be written as GGUF: ${(e as Error).message}`, String(e));
    }
  }
  if (adapter.modules.size === 0) throw userError(`${adapter.method} adds virtual tokens, not weight changes, so it cannot be merged. Export it in PEFT format instead.`);
  await mergeAdapter(model, adapter, { safe: true }).catch((e) => {
    throw userError(`The adapter could not be merged: ${(e as Error).message}`, String(e));
  });
  let weights: Uint8Array;
  try {
    weights = writeSafetensors(await mergedHfWeights(model), { format: 'pt' });
  } finally {
    unmergeAdapter(model, adapter);
  }
  const entries: Record<string, Uint8Array> = {};
  for (const name of SIDE_FILES) {
    const text = await source.readText(name);
    if (text !== null) entries[name] = strToU8(text);
  }
  entries['model.safetensors'] = weights;
  return { fileName: 'webift-merged-model.zip', mime: 'application/zip', bytes: zipSync(entries, { level: 0 }), files: Object.keys(entries) };
}

/** Import (adapter-import.ts: files or a hub repo, one clear message on a mismatch, the old adapter kept on failure). */
export async function importAdapter(session: Session, p: ImportAdapterParams, deps?: ImportDeps): Promise<ImportAdapterResult> {
  const r = await importAdapterInto(session, p, deps);
  adapterReplaced(session, null);
  return r;
}
