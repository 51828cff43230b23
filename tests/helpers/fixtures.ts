/**
 * The one door to ../shared (the HF golden fixtures and the third-party data, never committed here) for every test,
 * vitest and Playwright: sharedPath() builds the paths, haveShared() decides whether a suite runs. When a path is
 * absent the suite is skipped with one printed line naming it, unless WEBIFT_REQUIRE_FIXTURES=1 (set by .ci/run),
 * which makes that a failure. WEBIFT_SHARED overrides the folder. tests/helpers/shared-paths.test.ts keeps other
 * files from spelling ../shared paths themselves. Also: the committed stand-ins (embedded model, synthetic data).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SafetensorsFile } from '../../src/model/safetensors';
import { fileReader } from '../../src/node/fs-source';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHARED = process.env.WEBIFT_SHARED ?? path.resolve(repoRoot, '../shared');
const REQUIRE = process.env.WEBIFT_REQUIRE_FIXTURES === '1';
export const HF_REF = path.join(SHARED, 'fixtures/hf-reference');
export const HAVE_SHARED = existsSync(HF_REF);
if (!HAVE_SHARED && REQUIRE) throw new Error(`fixtures required but not found at ${HF_REF}`);

/** Committed data every checkout has: the embedded model and the synthetic instruction sets. */
export const EMBEDDED_MODEL_DIR = path.join(repoRoot, 'public/models/webift-tiny');
export const SYNTHETIC_DIR = path.join(repoRoot, 'public/data/synthetic');

/** The absolute path of `rel` inside ../shared, e.g. sharedPath('data/eval/gsm8k-test/test.jsonl'). */
export function sharedPath(rel: string): string {
  if (path.isAbsolute(rel) || rel.split(/[\\/]/).includes('..')) throw new Error(`sharedPath: '${rel}' must be a path inside ../shared`);
  return path.join(SHARED, rel);
}

const told = new Set<string>();

/**
 * null when every `rels` path (default: the HF golden fixtures) exists under ../shared; otherwise the reason to skip
 * `suite`, also printed as one line (once per process; in Playwright by the runner, not again by each worker).
 * Throws instead under WEBIFT_REQUIRE_FIXTURES=1.
 */
export function missingShared(suite: string, ...rels: string[]): string | null {
  const missing = (rels.length ? rels : ['fixtures/hf-reference']).find((r) => !existsSync(sharedPath(r)));
  if (missing === undefined) return null;
  const why = `${sharedPath(missing)} not found`;
  if (REQUIRE) throw new Error(`WEBIFT_REQUIRE_FIXTURES=1 but '${suite}' needs ${sharedPath(missing)}, which is missing`);
  const line = `[fixtures] skipped '${suite}': ${why} (../shared is not in the repo: put it beside the checkout or set WEBIFT_SHARED)`;
  if (!told.has(line) && process.env.TEST_WORKER_INDEX === undefined) console.log(line);
  told.add(line);
  return why;
}

/** missingShared() as a run condition: `describe.skipIf(!haveShared('suite', 'data/x.json'))('suite', ...)`. */
export function haveShared(suite: string, ...rels: string[]): boolean {
  return missingShared(suite, ...rels) === null;
}

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
