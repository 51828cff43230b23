/**
 * Locates ../shared (the HF golden fixtures and data) for tests. WEBIFT_SHARED overrides the path. When the folder
 * is absent the suites that need it are skipped, unless WEBIFT_REQUIRE_FIXTURES=1 (set by .ci/run), which fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SafetensorsFile } from '../../src/model/safetensors';
import { fileReader } from '../../src/node/fs-source';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = process.env.WEBIFT_SHARED ?? path.resolve(repoRoot, '../shared');
export const HF_REF = path.join(SHARED, 'fixtures/hf-reference');
export const HAVE_SHARED = existsSync(HF_REF);
if (!HAVE_SHARED && process.env.WEBIFT_REQUIRE_FIXTURES === '1') throw new Error(`fixtures required but not found at ${HF_REF}`);

export const CASES = ['llama-gqa', 'llama3-tied-ropescaling', 'qwen2', 'gpt2', 'bloom', 'phi3', 'gemma', 'gemma2'] as const;
export type Case = (typeof CASES)[number];

export interface Inputs {
  input_ids: number[][];
  attention_mask: number[][];
  labels: number[][];
  position_ids_from_mask: number[][];
  gen_prompt: number[][];
  gen_batch_prompt: number[][];
  gen_batch_mask: number[][];
}

export function caseDir(c: string): string {
  return path.join(HF_REF, c);
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export function inputs(c: string): Inputs {
  return readJson<Inputs>(path.join(caseDir(c), 'inputs.json'));
}

export async function tensors(file: string): Promise<SafetensorsFile> {
  return SafetensorsFile.open(fileReader(file), file);
}

export function flat(rows: number[][]): Int32Array {
  return Int32Array.from(rows.flat());
}

/** Max |a-b| where not within atol + rtol*|b|; returns the worst excess and its index (excess <= 0 means pass). */
export function compareClose(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number, keep?: (i: number) => boolean): { worst: number; at: number; maxAbs: number } {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let worst = -Infinity, at = -1, maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    if (keep && !keep(i)) continue;
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= Infinity)) return { worst: Infinity, at: i, maxAbs: Infinity }; // NaN
    maxAbs = Math.max(maxAbs, d);
    const ex = d - (atol + rtol * Math.abs(b[i]));
    if (ex > worst) { worst = ex; at = i; }
  }
  return { worst, at, maxAbs };
}
