/**
 * Runs every benchmark in bench/ in sequence, each in its own process (backends are process-global).
 * Each prints JSON lines on stdout.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const env = path.resolve(dir, '../bin/node-env.mjs');
const scripts = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'run-all.ts');
let failed = 0;
for (const s of scripts) {
  const r = spawnSync(process.execPath, ['--import', env, path.join(dir, s), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
