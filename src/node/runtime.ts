/**
 * What every model command needs first: a backend (WEBIFT_BACKEND or --backend, else webgpu -> wasm -> cpu) and a
 * model from a folder (or a hub repo id, through the hub cache), with the backend line on stderr unless --json.
 */
import { existsSync, statSync } from 'node:fs';
import { initBackend, type BackendChoice, type BackendName } from '../platform/backend';
import { loadModel, type ModelSource } from '../model/load';
import type { Model } from '../model/types';
import { folderSource } from './fs-source';
import { UsageError } from './errors';
import { quantSummary, quantizerFrom, writeQuantReport } from './quant-flags';

export async function startBackend(name: string | undefined, quiet: boolean): Promise<BackendChoice> {
  if (name && !['webgpu', 'wasm', 'cpu'].includes(name)) throw new UsageError(`--backend must be webgpu, wasm or cpu, got '${name}'`);
  const choice = await initBackend(name ? { prefer: [name as BackendName] } : {});
  if (!quiet) process.stderr.write(`backend: ${choice.reason}\n`);
  return choice;
}

/** A folder path, or `owner/name[@revision]` fetched from the hub (WEBIFT_HUB_HOST, default huggingface.co). */
export async function resolveModelSource(spec: string, quiet = false): Promise<ModelSource> {
  if (existsSync(spec)) {
    if (!statSync(spec).isDirectory()) throw new UsageError(`--model ${spec} is a file; pass the checkpoint folder (config.json + *.safetensors)`);
    return folderSource(spec);
  }
  if (/^[\w.-]+\/[\w.-]+(@[\w./-]+)?$/.test(spec)) {
    const { hubSourceFromSpec } = await import('./hub-model');
    return hubSourceFromSpec(spec, quiet);
  }
  throw new UsageError(`--model ${spec}: no such folder, and not a hub repo id (owner/name)`);
}

/**
 * Resolves the model, starts the backend and loads the weights, quantized as the --quantize flags in `flags` ask
 * (quant-flags.ts). `announce()` prints the backend line (and the quantization summary) on stderr; a command calls it
 * once its inputs are validated, so a bad input still produces exactly one line on stderr.
 */
export async function openModel(spec: string, backend: string | undefined, quiet: boolean, flags: Record<string, string | boolean | undefined> = {}): Promise<{ model: Model; backend: BackendChoice; source: ModelSource; announce: () => void }> {
  const quantizer = quantizerFrom(flags);
  const source = await resolveModelSource(spec, quiet);
  const choice = await startBackend(backend, true);
  const model = await loadModel(source, { quantizer });
  writeQuantReport(flags, quantizer);
  const lines = [`backend: ${choice.reason}`, ...(quantizer ? [quantSummary(model, quantizer)] : [])];
  return { model, backend: choice, source, announce: () => void (quiet || process.stderr.write(lines.map((l) => `${l}\n`).join(''))) };
}
