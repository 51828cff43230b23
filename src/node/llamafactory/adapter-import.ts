/**
 * Bringing LLaMA-Factory's adapter home: output_dir holds PEFT's adapter_config.json + adapter_model.safetensors.
 * peft >= 0.17 (LLaMA-Factory pins 0.18) writes fields peft 0.13 lacked; those that change nothing for a plain LoRA
 * (peft_version, and qalora_group_size while use_qalora is off) are dropped so webift's strict reader takes the
 * config; anything else it does not know still refuses. The adapter is loaded onto the model (the real check) and
 * only then written to OUT/adapter, whole or not at all.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Model } from '../../model/types';
import { loadAdapter, type Adapter } from '../../peft';
import { writeDirAtomic } from '../atomic';
import { UsageError } from '../errors';

/** adapter_config.json with the inert newer-PEFT fields removed (key order kept). */
export function normalizeAdapterConfig(text: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text);
  } catch {
    return text; // the loader names the problem
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) return text;
  const drop = new Set<string>();
  if (typeof o.peft_version === 'string') drop.add('peft_version');
  if (!o.use_qalora && 'qalora_group_size' in o) drop.add('qalora_group_size');
  if (!drop.size) return text;
  return JSON.stringify(Object.fromEntries(Object.entries(o).filter(([k]) => !drop.has(k))), null, 2);
}

/** Loads `from` (a PEFT folder) onto `model`, then copies it to `to` atomically. Returns the loaded adapter. */
export async function importAdapter(model: Model, from: string, to: string): Promise<Adapter> {
  const cfg = path.join(from, 'adapter_config.json'), st = path.join(from, 'adapter_model.safetensors');
  if (!existsSync(cfg) || !existsSync(st)) {
    throw new UsageError(`LLaMA-Factory finished but ${from} has no adapter_config.json + adapter_model.safetensors${existsSync(path.join(from, 'adapter_model.bin')) ? ' (only adapter_model.bin: set save_safetensors true)' : ''}`);
  }
  const config = normalizeAdapterConfig(await readFile(cfg, 'utf8'));
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
