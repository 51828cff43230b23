/**
 * `webift convert llama2c --checkpoint X.bin --tokenizer tok.bin --out DIR [--overwrite] [--json]`: a llama2.c
 * checkpoint + tokenizer.bin -> an HF folder every other command and the app accept. Written atomically.
 */
import { existsSync } from 'node:fs';
import { convertLlama2c } from '../convert-llama2c';
import { bool, JSON_FLAG, parse, str, type FlagSpec } from '../args';
import type { Command } from '../command';
import { UsageError } from '../errors';

export const LLAMA2C_FLAGS: FlagSpec = {
  checkpoint: { type: 'string', value: 'file.bin', help: 'the llama2.c checkpoint (model.bin, as run.c reads it)' },
  tokenizer: { type: 'string', value: 'tokenizer.bin', help: 'the llama2.c tokenizer file' },
  out: { type: 'string', value: 'dir', help: 'the HF model folder to write' },
  overwrite: { type: 'boolean', help: 'replace OUT if it exists' },
  json: JSON_FLAG,
};

/** `webift convert llama2c ...` */
export async function convertCommand(argv: string[]): Promise<number> {
  const p = parse(argv, LLAMA2C_FLAGS);
  const checkpoint = str(p, 'checkpoint', true), tokenizer = str(p, 'tokenizer', true), out = str(p, 'out', true);
  for (const [flag, f] of [['checkpoint', checkpoint], ['tokenizer', tokenizer]]) if (!existsSync(f)) throw new UsageError(`--${flag} ${f}: no such file`);
  let r;
  try {
    r = await convertLlama2c({ checkpoint, tokenizer, out, overwrite: bool(p, 'overwrite') });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (bool(p, 'json')) process.stdout.write(`${JSON.stringify({ out: r.out, files: r.files, config: r.header })}\n`);
  else process.stderr.write(`wrote ${r.files.join(', ')} to ${r.out}\n`);
  return 0;
}

const llama2c: Command = {
  name: 'convert llama2c',
  summary: 'a llama2.c checkpoint and tokenizer.bin -> an HF model folder',
  usage: '--checkpoint <file.bin> --tokenizer <tokenizer.bin> --out <dir> [flags]',
  flags: LLAMA2C_FLAGS,
  run: convertCommand,
};

export const command: Command = {
  name: 'convert',
  summary: 'convert a checkpoint from another format into an HF model folder (llama2c)',
  subcommands: { llama2c: async () => llama2c },
};
