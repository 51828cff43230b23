/**
 * `webift merge --model <dir|repo> --adapter <dir> --out DIR [--unsafe] [--json]`: merges a LoRA / DoRA / IA3
 * adapter into the base weights (safe merge by default: a non-finite result is refused and nothing is written) and
 * writes an HF model folder every command and the app accept.
 */
import { mergeAndUnload, MergeError } from '../../peft';
import { BACKEND_FLAG, bool, JSON_FLAG, MODEL_FLAG, parse, str, type FlagSpec } from '../args';
import type { Command } from '../command';
import { UsageError } from '../errors';
import { openModel } from '../runtime';
import { readAdapterDir } from '../adapter-dir';
import { writeMergedModel } from '../merged-export';

export const MERGE_FLAGS: FlagSpec = {
  model: MODEL_FLAG,
  adapter: { type: 'string', value: 'dir', help: 'the PEFT adapter folder to merge (LoRA, DoRA or IA3)' },
  out: { type: 'string', value: 'dir', help: 'where to write the merged HF model folder' },
  unsafe: { type: 'boolean', help: 'skip the safe merge\'s check that every merged weight is finite' },
  backend: BACKEND_FLAG, json: JSON_FLAG,
};

export async function mergeCommand(argv: string[]): Promise<number> {
  const p = parse(argv, MERGE_FLAGS);
  const json = bool(p, 'json');
  const adapterDir = str(p, 'adapter', true), out = str(p, 'out', true);
  const { model, source, announce } = await openModel(str(p, 'model', true), str(p, 'backend'), json);
  try {
    const adapter = await readAdapterDir(model, adapterDir);
    if (adapter.modules.size === 0) throw new UsageError(`${adapter.method} adds virtual tokens, not weight deltas: it cannot be merged (use it with --adapter)`);
    announce();
    try {
      await mergeAndUnload(model, adapter, { safe: !bool(p, 'unsafe') });
    } catch (e) {
      throw e instanceof MergeError ? new UsageError(e.message) : e;
    }
    const files = await writeMergedModel(model, source, out);
    if (json) process.stdout.write(`${JSON.stringify({ out, files, method: adapter.method })}\n`);
    else process.stderr.write(`merged ${adapter.method} into ${source.label}; wrote ${files.join(', ')} to ${out}\n`);
    adapter.dispose();
  } finally {
    model.dispose();
  }
  return 0;
}

export const command: Command = {
  name: 'merge',
  summary: 'merge a LoRA, DoRA or IA3 adapter into the base weights and write the model folder',
  usage: '--model <dir|repo> --adapter <dir> --out <dir> [flags]',
  flags: MERGE_FLAGS,
  run: mergeCommand,
};
