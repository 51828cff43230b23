/**
 * `webift logits --model <dir|repo> --inputs <file.json> [--adapter <dir>] --out <file.safetensors>`:
 * runs one forward pass on input_ids (B×T) with an optional attention_mask (positions derived from the mask, as HF
 * generate() does) and writes `logits` [B,T,V] as F32 safetensors, atomically. --adapter takes a PEFT folder of any
 * supported method (LoRA, DoRA, IA3, prompt and prefix tuning).
 */
import { readFile } from 'node:fs/promises';
import { writeSafetensors } from '../../model/safetensors';
import { adapterForward } from '../../peft';
import { readAdapterDir } from '../adapter-dir';
import { positionIdsFromMask } from '../../model/mask';
import { ADAPTER_FLAG, BACKEND_FLAG, bool, JSON_FLAG, MODEL_FLAG, parse, str, type FlagSpec } from '../args';
import type { Command } from '../command';
import { UsageError } from '../errors';
import { writeFileAtomic } from '../atomic';
import { openModel } from '../runtime';
import { QUANT_FLAGS } from '../quant-flags';

export const LOGITS_FLAGS: FlagSpec = {
  model: MODEL_FLAG,
  inputs: { type: 'string', value: 'file.json', help: '{"input_ids": [[...], ...], "attention_mask"?: [[...], ...]}, B rows of T token ids' },
  adapter: ADAPTER_FLAG,
  out: { type: 'string', value: 'file.safetensors', help: 'where to write the F32 logits [B, T, V] (prompt tuning: [B, n + T, V])' },
  backend: BACKEND_FLAG, json: JSON_FLAG, ...QUANT_FLAGS,
};

function matrix(v: unknown, name: string): number[][] {
  if (!Array.isArray(v) || !v.length || !v.every((r) => Array.isArray(r) && r.length === (v[0] as unknown[]).length && r.every((x) => Number.isInteger(x)))) {
    throw new UsageError(`inputs: '${name}' must be a non-empty rectangular array of integer rows`);
  }
  return v as number[][];
}

export async function logitsCommand(argv: string[]): Promise<number> {
  const p = parse(argv, LOGITS_FLAGS);
  const json = bool(p, 'json');
  let raw: Record<string, unknown>;
  const inputsPath = str(p, 'inputs', true);
  try {
    raw = JSON.parse(await readFile(inputsPath, 'utf8'));
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') throw new UsageError(`--inputs ${inputsPath}: no such file`);
    throw new UsageError(`--inputs ${inputsPath}: not valid JSON`);
  }
  const ids = matrix(raw.input_ids, 'input_ids');
  const B = ids.length, T = ids[0].length;
  const mask = raw.attention_mask === undefined ? null : matrix(raw.attention_mask, 'attention_mask');
  if (mask && (mask.length !== B || mask[0].length !== T)) throw new UsageError(`inputs: attention_mask is ${mask.length}×${mask[0].length} but input_ids is ${B}×${T}`);
  const out = str(p, 'out', true);
  const { model, announce } = await openModel(str(p, 'model', true), str(p, 'backend'), json, p.values);
  announce();
  const flatMask = mask ? Int32Array.from(mask.flat()) : undefined;
  const adapterDir = str(p, 'adapter');
  const adapter = adapterDir ? await readAdapterDir(model, adapterDir) : null;
  // Prompt tuning returns (B, n + T, V): the virtual positions come first, as PEFT's logits do.
  const res = adapterForward(model, adapter, {
    ids: Int32Array.from(ids.flat()), B, T, attentionMask: flatMask,
    positionIds: flatMask && !adapter?.virtualTokens ? positionIdsFromMask(flatMask, B, T) : undefined,
  });
  adapter?.dispose();
  const data = (await res.logits!.data()) as Float32Array;
  const shape = res.logits!.shape;
  res.logits!.dispose();
  model.dispose();
  await writeFileAtomic(out, writeSafetensors({ logits: { shape, data } }));
  if (json) process.stdout.write(`${JSON.stringify({ out, shape })}\n`);
  else process.stderr.write(`wrote logits [${shape}] to ${out}\n`);
  return 0;
}

export const command: Command = {
  name: 'logits',
  summary: 'one forward pass on token ids, logits written as safetensors (to compare with HF)',
  usage: '--model <dir|repo> --inputs <file.json> --out <file.safetensors> [flags]',
  flags: LOGITS_FLAGS,
  run: logitsCommand,
};
