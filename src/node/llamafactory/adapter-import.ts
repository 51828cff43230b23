/**
 * Bringing LLaMA-Factory's adapter home: output_dir holds PEFT's adapter_config.json + adapter_model.safetensors
 * (peft 0.18, whose extra fields webift's reader accepts where they change nothing: peft/config.ts). The adapter is
 * loaded onto the model (the real check) and only then copied, byte for byte, to OUT/adapter, whole or not at all.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Model } from '../../model/types';
import { loadAdapter, type Adapter } from '../../peft';
import { writeDirAtomic } from '../atomic';
import { UsageError } from '../errors';

/** Loads `from` (a PEFT folder) onto `model`, then copies it to `to` atomically. Returns the loaded adapter. */
export async function importAdapter(model: Model, from: string, to: string): Promise<Adapter> {
  const cfg = path.join(from, 'adapter_config.json'), st = path.join(from, 'adapter_model.safetensors');
  if (!existsSync(cfg) || !existsSync(st)) {
    throw new UsageError(`LLaMA-Factory finished but ${from} has no adapter_config.json + adapter_model.safetensors${existsSync(path.join(from, 'adapter_model.bin')) ? ' (only adapter_model.bin: set save_safetensors true)' : ''}`);
  }
  const config = await readFile(cfg, 'utf8');
  const buf = await readFile(st);
  const weights = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  let adapter: Adapter;
  try {
    adapter = await loadAdapter(model, { config, weights });
  } catch (e) {
    throw new UsageError(`the adapter LLaMA-Factory wrote (${from}) does not load in webift: ${(e as Error).message}`);
  }
  await writeDirAtomic(to, async (tmp) => {
    await writeFile(path.join(tmp, 'adapter_config.json'), config);
    await writeFile(path.join(tmp, 'adapter_model.safetensors'), weights);
  });
  return adapter;
}
