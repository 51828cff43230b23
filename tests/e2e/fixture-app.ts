/**
 * What the app e2e tests serve when the embedded default is not in the build yet: the llama2.c stories260K model
 * converted to an HF folder (src/node/convert-llama2c.ts, into a temp dir, once per run) at /models/webift-tiny/,
 * and a small generated instruction set (addition facts, made here, not copied) at /data/synthetic/. When
 * public/models/webift-tiny/config.json exists, the real embedded files are used and nothing is routed.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext } from '@playwright/test';
import { sharedPath } from '../helpers/fixtures';

export const FIXTURE_MODEL_DIR = path.join(os.tmpdir(), 'webift-e2e-stories260K');
export const HAVE_EMBEDDED_MODEL = existsSync('public/models/webift-tiny/config.json');
export const HAVE_EMBEDDED_DATA = existsSync('public/data/synthetic/index.json');

/** 200 "a + b" records, seeded by their index: instruction, empty input, the sum as output. */
export function fixtureRecords(n = 200): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = (i * 7) % 10, b = (i * 3 + 1) % 10;
    lines.push(JSON.stringify({ instruction: `What is ${a} plus ${b}?`, input: '', output: `${a} plus ${b} is ${a + b}.` }));
  }
  return lines.join('\n') + '\n';
}

export async function convertFixtureModel(): Promise<void> {
  if (HAVE_EMBEDDED_MODEL || existsSync(path.join(FIXTURE_MODEL_DIR, 'config.json'))) return;
  const { convertLlama2c } = await import('../../src/node/convert-llama2c');
  const dir = sharedPath('data/tiny-models/stories260K');
  await convertLlama2c({ checkpoint: path.join(dir, 'stories260K.bin'), tokenizer: path.join(dir, 'tok512.bin'), out: FIXTURE_MODEL_DIR, overwrite: true });
}

/** Routes the embedded paths to the fixtures where the build lacks them. Call before page.goto. */
export async function serveFixtures(context: BrowserContext): Promise<void> {
  if (!HAVE_EMBEDDED_MODEL) {
    const files = new Set(existsSync(FIXTURE_MODEL_DIR) ? readdirSync(FIXTURE_MODEL_DIR) : []);
    await context.route('**/models/webift-tiny/**', async (route) => {
      const name = decodeURIComponent(new URL(route.request().url()).pathname.replace(/^.*\/models\/webift-tiny\//, ''));
      if (!files.has(name)) return route.fulfill({ status: 404, body: 'not found' });
      const body = readFileSync(path.join(FIXTURE_MODEL_DIR, name));
      const type = name.endsWith('.json') ? 'application/json' : 'application/octet-stream';
      return route.fulfill({ status: 200, body, headers: { 'content-type': type, 'content-length': String(body.length), 'cross-origin-resource-policy': 'same-origin' } });
    });
  }
  if (!HAVE_EMBEDDED_DATA) {
    await context.route('**/data/synthetic/**', async (route) => {
      const p = new URL(route.request().url()).pathname;
      if (p.endsWith('/index.json')) return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ datasets: [{ name: 'addition', file: 'addition.jsonl', records: 200 }] }) });
      if (p.endsWith('/addition.jsonl')) return route.fulfill({ status: 200, contentType: 'application/jsonl', body: fixtureRecords() });
      return route.fulfill({ status: 404, body: 'not found' });
    });
  }
}
