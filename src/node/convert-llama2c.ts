/**
 * Node wrapper around model/llama2c.ts: reads a llama2.c checkpoint + tokenizer.bin and writes an HF checkpoint
 * folder (config.json, generation_config.json, model.safetensors, tokenizer.json, tokenizer_config.json).
 * Atomic: everything is converted in memory first, written to a temp folder beside `out`, then renamed into place,
 * so a failure (bad input, full disk) never leaves a partial `out`. Not handled: streaming checkpoints larger than
 * memory (stories110M is 440 MB; the conversion holds about twice that).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { convertLlama2cCheckpoint, type Llama2cHeader } from '../model/llama2c';
import { writeDirAtomic } from './atomic';
import { llamaTokenizerConfig, llamaTokenizerJson, parseLlama2cTokenizer } from '../tokenizer/llama2c-tokenizer';

export interface ConvertLlama2cParams {
  /** Path of the llama2.c legacy .bin checkpoint (e.g. stories260K.bin). */
  checkpoint: string;
  /** Path of its tokenizer.bin (e.g. tok512.bin). */
  tokenizer: string;
  /** Output folder; must not exist yet (or be empty) unless `overwrite`. */
  out: string;
  overwrite?: boolean;
}

export interface ConvertLlama2cResult {
  out: string;
  header: Llama2cHeader;
  files: string[];
}

async function isNonEmptyDir(p: string): Promise<boolean> {
  const st = await fsp.stat(p).catch(() => null);
  if (!st) return false;
  if (!st.isDirectory()) throw new Error(`${p} exists and is not a folder`);
  return (await fsp.readdir(p)).length > 0;
}

export async function convertLlama2c(params: ConvertLlama2cParams): Promise<ConvertLlama2cResult> {
  const out = path.resolve(params.out);
  if (!params.overwrite && (await isNonEmptyDir(out))) throw new Error(`${out} already exists and is not empty (pass overwrite: true to replace it)`);
  const [ck, tok] = await Promise.all([fsp.readFile(params.checkpoint), fsp.readFile(params.tokenizer)]);
  // Pure conversion first: any format error is thrown before a single byte is written.
  const c = convertLlama2cCheckpoint(new Uint8Array(ck.buffer, ck.byteOffset, ck.byteLength), params.checkpoint);
  // The tokenizer must have exactly the checkpoint's vocab_size entries (run.c reads that many).
  const vocab = parseLlama2cTokenizer(new Uint8Array(tok.buffer, tok.byteOffset, tok.byteLength), c.header.vocabSize, params.tokenizer);
  const files: Record<string, string | Uint8Array> = {
    'config.json': JSON.stringify(c.config, null, 2) + '\n',
    'generation_config.json': JSON.stringify(c.generationConfig, null, 2) + '\n',
    'tokenizer_config.json': JSON.stringify(llamaTokenizerConfig(c.header.seqLen), null, 2) + '\n',
    'tokenizer.json': JSON.stringify(llamaTokenizerJson(vocab)) + '\n',
    'model.safetensors': c.safetensors,
  };

  await writeDirAtomic(out, async (tmp) => {
    for (const [name, data] of Object.entries(files)) await fsp.writeFile(path.join(tmp, name), data);
  });
  return { out, header: c.header, files: Object.keys(files) };
}
