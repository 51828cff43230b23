/**
 * `webift convert llama2c --checkpoint X.bin --tokenizer tok.bin --out DIR [--overwrite] [--json]`: a llama2.c
 * checkpoint + tokenizer.bin -> an HF folder every other command and the app accept. Written atomically.
 */
import { existsSync } from 'node:fs';
import { convertLlama2c } from '../convert-llama2c';
import { bool, parse, str } from '../args';
import { UsageError } from '../errors';

export async function convertCommand(argv: string[]): Promise<number> {
  const [format, ...rest] = argv;
  if (format !== 'llama2c') throw new UsageError(`convert: unknown source format '${format ?? ''}' (supported: llama2c)`);
  const p = parse(rest, { checkpoint: { type: 'string' }, tokenizer: { type: 'string' }, out: { type: 'string' }, overwrite: { type: 'boolean' }, json: { type: 'boolean' } });
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
