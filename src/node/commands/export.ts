/**
 * `webift export --model <dir|repo> --adapter <dir> --format peft|gguf|merged --out PATH [--dtype f32|f16]`:
 * peft re-saves the adapter folder (validated against the model) in PEFT's layout; gguf writes a llama.cpp LoRA
 * adapter file (rsLoRA baked into alpha); merged writes the merged model folder. All writes are atomic.
 * `--format llamafactory` takes the train flags instead and writes a LLaMA-Factory run (llamafactory/export-command.ts).
 */
import { existsSync } from 'node:fs';
import { adapterTensors, mergeAndUnload, MergeError, type LoraConfig } from '../../peft';
import { exportLoraGguf, GgufExportError } from '../../peft/gguf';
import { BACKEND_FLAG, bool, JSON_FLAG, MODEL_FLAG, parse, str, type FlagSpec } from '../args';
import type { Command } from '../command';
import { UsageError } from '../errors';
import { openModel } from '../runtime';
import { readAdapterDir, writeAdapterDir } from '../adapter-dir';
import { writeMergedModel } from '../merged-export';
import { writeFileAtomic } from '../atomic';

const FORMATS = ['peft', 'gguf', 'merged'];

export const EXPORT_FLAGS: FlagSpec = {
  model: MODEL_FLAG,
  adapter: { type: 'string', value: 'dir', help: 'the PEFT adapter folder to export' },
  format: { type: 'string', value: [...FORMATS, 'llamafactory'].join('|'), help: 'peft: the adapter folder re-saved; gguf: a llama.cpp LoRA file (LoRA only); merged: the merged model folder; llamafactory: the run webift train would do, as a LLaMA-Factory folder (takes the flags of webift train --help instead of --adapter)' },
  out: { type: 'string', value: 'path', help: 'the output folder (peft, merged) or file (gguf)' },
  dtype: { type: 'string', value: 'f32|f16', default: 'f32', help: 'tensor type of the GGUF file' },
  backend: BACKEND_FLAG, json: JSON_FLAG,
};

/** The value of --format (`--format X` or `--format=X`), read before parsing: llamafactory takes other flags. */
function formatOf(argv: string[]): string | undefined {
  const i = argv.findIndex((a) => a === '--format' || a.startsWith('--format='));
  return i < 0 ? undefined : argv[i].includes('=') ? argv[i].slice(9) : argv[i + 1];
}

export async function exportCommand(argv: string[]): Promise<number> {
  if (formatOf(argv) === 'llamafactory') return (await import('../llamafactory/export-command')).llamaFactoryExportCommand(argv);
  const p = parse(argv, EXPORT_FLAGS);
  const json = bool(p, 'json');
  const format = str(p, 'format', true);
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${[...FORMATS, 'llamafactory'].join(', ')}, got '${format}'`);
  const dtype = (str(p, 'dtype') ?? 'f32').toUpperCase();
  if (dtype !== 'F32' && dtype !== 'F16') throw new UsageError(`--dtype must be f32 or f16, got '${str(p, 'dtype')}'`);
  const adapterDir = str(p, 'adapter', true), out = str(p, 'out', true);
  if (!existsSync(adapterDir)) throw new UsageError(`--adapter ${adapterDir}: no such folder`);
  const { model, source, announce } = await openModel(str(p, 'model', true), str(p, 'backend'), json);
  try {
    const adapter = await readAdapterDir(model, adapterDir);
    announce();
    let files: string[] = [out];
    if (format === 'peft') {
      await writeAdapterDir(adapter, out, adapter.config.base_model_name_or_path ?? undefined);
      files = ['adapter_config.json', 'adapter_model.safetensors'];
    } else if (format === 'gguf') {
      if (adapter.method !== 'LORA') throw new UsageError(`GGUF export is for LoRA adapters; this one is ${adapter.method}`);
      const cfg = adapter.config as LoraConfig;
      const tensors = new Map(Object.entries(await adapterTensors(adapter)).map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }]));
      let bytes: Uint8Array;
      try {
        bytes = exportLoraGguf({
          family: model.config.family, alpha: cfg.lora_alpha, r: cfg.r, useRslora: cfg.use_rslora, heads: model.config.heads,
          kvHeads: model.config.kvHeads, tiedEmbeddings: model.config.tieEmbeddings, tensors, dtype: dtype as 'F32' | 'F16',
        });
      } catch (e) {
        throw e instanceof GgufExportError ? new UsageError(e.message) : e;
      }
      await writeFileAtomic(out, bytes);
    } else {
      if (adapter.modules.size === 0) throw new UsageError(`${adapter.method} adds virtual tokens, not weight deltas: it cannot be merged`);
      try {
        await mergeAndUnload(model, adapter, { safe: true });
      } catch (e) {
        throw e instanceof MergeError ? new UsageError(e.message) : e;
      }
      files = await writeMergedModel(model, source, out);
    }
    if (json) process.stdout.write(`${JSON.stringify({ out, format, files })}\n`);
    else process.stderr.write(`exported ${adapter.method} as ${format} to ${out}\n`);
    adapter.dispose();
  } finally {
    model.dispose();
  }
  return 0;
}

export const command: Command = {
  name: 'export',
  summary: 'export an adapter as a PEFT folder, a llama.cpp GGUF LoRA file, or a merged model folder',
  usage: '--model <dir|repo> --adapter <dir> --format <format> --out <path> [flags]',
  flags: EXPORT_FLAGS,
  run: exportCommand,
};
