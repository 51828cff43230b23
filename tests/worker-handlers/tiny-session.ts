/**
 * The embedded tiny model (public/models/webift-tiny, in the repo) as protocol ModelFiles and as an in-process
 * model + tokenizer, a few arithmetic records, and the handler tables typed as plain async functions, for the
 * session and generate handler tests (cpu backend).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../../src/model/load';
import type { Model } from '../../src/model/types';
import { folderSource } from '../../src/node/fs-source';
import { loadTokenizer, type TextTokenizer } from '../../src/tokenizer/tokenizer';
import type { ModelFile } from '../../src/protocol/model-api';
import type { HandlerContext, Handlers } from '../../src/protocol/serve';
import type { ApiSpec } from '../../src/protocol/wire';

export type PlainHandlers<A extends ApiSpec> = { [K in keyof A]: (p: A[K]['params'], ctx: HandlerContext<A[K]['progress']>) => Promise<A[K]['result']> };

/** The handler table as tests call it: every handler async (a handler may also return its result directly). */
export function plain<A extends ApiSpec>(h: Handlers<A>): PlainHandlers<A> {
  return h as unknown as PlainHandlers<A>;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TINY_DIR = path.join(root, 'public/models/webift-tiny');
const FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];

export function tinyFiles(): ModelFile[] {
  return FILES.map((name) => {
    const b = readFileSync(path.join(TINY_DIR, name));
    return { name, bytes: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer };
  });
}

export async function tinyInProcess(): Promise<{ model: Model; tok: TextTokenizer }> {
  const model = await loadModel(folderSource(TINY_DIR));
  const json = (n: string) => JSON.parse(readFileSync(path.join(TINY_DIR, n), 'utf8'));
  return { model, tok: loadTokenizer(json('tokenizer.json'), json('tokenizer_config.json')) };
}

/** 12 alpaca records: "a plus b" with its answer. */
export function arithmeticJsonl(): string {
  const rows = [];
  for (let i = 0; i < 12; i++) rows.push(JSON.stringify({ instruction: `What is ${i} plus ${i + 2}?`, input: '', output: `${i} + ${i + 2} = ${2 * i + 2}. The answer is ${2 * i + 2}.` }));
  return rows.join('\n');
}
