/**
 * PEFT adapter folders on disk: read `adapter_config.json` + `adapter_model.safetensors` onto a loaded model, and
 * write them atomically (the folder appears whole or not at all), as PEFT's save_pretrained lays them out.
 */
import { existsSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { loadAdapter, saveAdapter, type Adapter } from '../peft';
import type { Model } from '../model/types';
import { writeDirAtomic } from './atomic';
import { UsageError } from './errors';

export async function readAdapterFiles(dir: string): Promise<{ config: string; weights: Uint8Array }> {
  const cfg = path.join(dir, 'adapter_config.json');
  const st = path.join(dir, 'adapter_model.safetensors');
  if (!existsSync(dir)) throw new UsageError(`--adapter ${dir}: no such folder`);
  if (!existsSync(cfg)) throw new UsageError(`--adapter ${dir}: adapter_config.json not found (a PEFT adapter folder holds adapter_config.json + adapter_model.safetensors)`);
  if (!existsSync(st)) throw new UsageError(`--adapter ${dir}: adapter_model.safetensors not found${existsSync(path.join(dir, 'adapter_model.bin')) ? ' (only the pickle adapter_model.bin is there; re-save it with safe_serialization=True)' : ''}`);
  const buf = await fsp.readFile(st);
  return { config: await fsp.readFile(cfg, 'utf8'), weights: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
}

/** Loads a PEFT adapter folder onto `model`. Errors in the files become UsageErrors (exit 2, one line). */
export async function readAdapterDir(model: Model, dir: string): Promise<Adapter> {
  const files = await readAdapterFiles(dir);
  try {
    return await loadAdapter(model, files);
  } catch (e) {
    throw new UsageError(`--adapter ${dir}: ${(e as Error).message}`);
  }
}

export async function writeAdapterDir(adapter: Adapter, dir: string, baseModelNameOrPath?: string): Promise<void> {
  const files = await saveAdapter(adapter, { baseModelNameOrPath });
  await writeDirAtomic(dir, async (tmp) => {
    await fsp.writeFile(path.join(tmp, 'adapter_config.json'), files.config);
    await fsp.writeFile(path.join(tmp, 'adapter_model.safetensors'), files.weights);
  });
}
