/**
 * The bench suite in one command (`npm run bench`): every benchmark in bench/, each in its own process (backends
 * are process-global), their JSON lines echoed as they come and saved to tmp/bench/latest.jsonl, then the summary
 * table (scripts/bench-table.ts) printed and written to tmp/bench/results.md.
 *   --quick   only the kernel bench (bench/kernels.ts, a few minutes on 2 cores); other flags pass through.
 *   --json    JSON lines only: no table on stdout (the file is still written).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchTable } from '../scripts/bench-table';

const dir = path.dirname(fileURLToPath(import.meta.url));
const env = path.resolve(dir, '../bin/node-env.mjs');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const json = args.includes('--json');
// The app bench drives Chromium over real-model checkpoints for minutes: run it on its own (it is not in the suite).
const scripts = quick ? ['kernels.ts'] : readdirSync(dir).filter((f) => f.endsWith('.ts') && !['run-all.ts', 'app-real-models.ts'].includes(f));
const lines: string[] = [];
let failed = 0;
for (const s of scripts) {
  const r = spawnSync(process.execPath, ['--import', env, path.join(dir, s), ...args.filter((a) => a !== '--json')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  for (const l of (r.stdout ?? '').split('\n')) {
    if (!l.trim()) continue;
    if (l.startsWith('{')) lines.push(l);
    if (l.startsWith('{') || !json) console.log(l);
  }
  if (r.status !== 0) {
    failed++;
    const l = JSON.stringify({ bench: s, failed: `exit ${r.status}` });
    lines.push(l);
    console.log(l);
  }
}
const out = path.resolve(dir, '../tmp/bench');
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'latest.jsonl'), lines.join('\n') + '\n');
const table = benchTable(lines.map((l) => JSON.parse(l) as Record<string, unknown>));
writeFileSync(path.join(out, 'results.md'), table);
if (!json) console.log(`\n${table}\nwritten to tmp/bench/latest.jsonl and tmp/bench/results.md`);
process.exit(failed ? 1 : 0);
