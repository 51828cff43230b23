/**
 * `npm run classroom [-- --steps N --seeds 1,2,3 --jobs 2 --conditions direct,cot,no-zh | --report]`: "Does chain-of-thought data help?" The same base
 * (webift-tiny), LoRA r 8 and step budget, trained on (a) direct-answer data, (b) CoT data, (c) CoT data without the
 * Chinese sets; each evaluated by exact match on held-out English arithmetic and on held-out Chinese prompts, over
 * 3 seeds. Prints a table of mean ± std (and min..max) and bar charts with the seed range, and writes
 * public/data/classroom-results.json for the app; `--report` prints that file again without training.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../src/platform/backend';
import { evaluateHeldOut } from '../src/eval/heldout';
import type { SyntheticIndex } from '../src/data/synthetic/index-file';
import type { SyntheticRecord } from '../src/data/synthetic/record';
import type { Adapter } from '../src/peft';
import { DATA_DIR, loraRun, openTiny, readJsonl, ROOT } from './lib/lora-run';
import { CLASSROOM } from '../src/experiment/classroom';
import { classroomReport } from './lib/classroom-report';

const argv = process.argv.slice(2);
const flag = (k: string, d: string) => {
  const i = argv.indexOf(`--${k}`);
  return i >= 0 ? argv[i + 1] : d;
};
const steps = Number(flag('steps', String(CLASSROOM.steps)));
const seeds = flag('seeds', CLASSROOM.seeds.join(',')).split(',').map(Number);
const nArith = Number(flag('n-arith', '60')), nZh = Number(flag('n-zh', '60'));
const out = flag('out', path.join(ROOT, 'public', 'data', 'classroom-results.json'));
const say = (s: string) => process.stderr.write(`${s}\n`);
const started = Date.now();
// --report: print a saved results file (the committed one by default) again, without training.
if (argv.includes('--report')) {
  process.stdout.write(`${classroomReport(JSON.parse(readFileSync(out, 'utf8')))}\n`);
  process.exit(0);
}

await initBackend({ prefer: ['wasm', 'cpu'] });
const idx = JSON.parse(readFileSync(path.join(DATA_DIR, 'index.json'), 'utf8')) as SyntheticIndex;
const load = (files: string[]): SyntheticRecord[] => files.flatMap(readJsonl);
const CONDITIONS = [
  { id: 'direct', label: '(a) direct-answer data', files: idx.classroom.direct },
  { id: 'cot', label: '(b) CoT data', files: idx.classroom.cot },
  { id: 'no-zh', label: '(c) CoT data without Chinese', files: idx.classroom.noChinese },
].filter((c) => flag('conditions', 'direct,cot,no-zh').split(',').includes(c.id) || flag('only', '').startsWith(`${c.id}:`));
const testArith = readJsonl(idx.classroom.testArithmetic).slice(0, nArith);
const zhAll = load(idx.classroom.testChinese);
const testZh = [...zhAll.filter((r) => r.family === 'arithmetic').slice(0, Math.ceil(nZh / 2)), ...zhAll.filter((r) => r.family !== 'arithmetic').slice(0, Math.floor(nZh / 2))];

async function score(adapterRun: (m: Awaited<ReturnType<typeof openTiny>>) => Promise<Adapter | null>) {
  const tiny = await openTiny();
  const adapter = await adapterRun(tiny);
  const arith = await evaluateHeldOut(tiny.model, tiny.tok, testArith, { adapter });
  const zh = await evaluateHeldOut(tiny.model, tiny.tok, testZh, { adapter });
  adapter?.dispose();
  tiny.model.dispose();
  return { arithmetic: arith.accuracy, chinese: zh.accuracy };
}

type Run = { condition: string; seed: number; arithmetic: number; chinese: number; finalLoss: number; seconds: number };
async function runOne(id: string, seed: number): Promise<Run> {
  const c = CONDITIONS.find((x) => x.id === id)!;
  const t0 = Date.now();
  let finalLoss = NaN;
  const r = await score(async ({ model, tok }) => {
    const { adapter, losses } = await loraRun(model, tok, load(c.files), { steps, seed });
    finalLoss = losses.slice(-10).reduce((a, b) => a + b, 0) / Math.min(10, losses.length);
    return adapter;
  });
  return { condition: id, seed, ...r, finalLoss, seconds: (Date.now() - t0) / 1000 };
}

// --only ID:SEED is one run in a child process (--jobs N runs N of them at once, one per core; tfjs-wasm is one thread).
const only = flag('only', '');
if (only) {
  const [id, seed] = only.split(':');
  process.stdout.write(`${JSON.stringify(await runOne(id, Number(seed)))}\n`);
  process.exit(0);
}
const jobs = Number(flag('jobs', '1'));
// Seed-major order, so the first results already compare every condition.
const todo = seeds.flatMap((seed) => CONDITIONS.map((c) => ({ id: c.id, seed })));
const runs: Run[] = [];
const child = (id: string, seed: number) => new Promise<Run>((resolve, reject) => {
  const args = ['--import', './bin/node-env.mjs', 'scripts/classroom.ts', '--only', `${id}:${seed}`, '--steps', String(steps), '--n-arith', String(nArith), '--n-zh', String(nZh)];
  execFile(process.execPath, args, { cwd: ROOT, maxBuffer: 1 << 24 }, (err, stdout, stderr) => (err ? reject(new Error(`${id}:${seed} failed: ${stderr}`)) : resolve(JSON.parse(stdout.trim().split('\n').pop()!))));
});
const base = await score(async () => null);
say(`base model: arithmetic ${base.arithmetic.toFixed(3)}, chinese ${base.chinese.toFixed(3)}`);
const workers = Array.from({ length: Math.max(1, jobs) }, async () => {
  for (let t = todo.shift(); t; t = todo.shift()) {
    const r = jobs > 1 ? await child(t.id, t.seed) : await runOne(t.id, t.seed);
    runs.push(r);
    say(`${t.id} seed ${t.seed}: arithmetic ${r.arithmetic.toFixed(3)}, chinese ${r.chinese.toFixed(3)} (${r.seconds.toFixed(0)} s)`);
  }
});
await Promise.all(workers);
runs.sort((a, b) => CONDITIONS.findIndex((c) => c.id === a.condition) - CONDITIONS.findIndex((c) => c.id === b.condition) || a.seed - b.seed);

const stats = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, std, min: Math.min(...xs), max: Math.max(...xs) };
};
const summary = CONDITIONS.map((c) => {
  const rs = runs.filter((r) => r.condition === c.id);
  return { condition: c.id, label: c.label, records: load(c.files).length, arithmetic: stats(rs.map((r) => r.arithmetic)), chinese: stats(rs.map((r) => r.chinese)) };
});
const result = {
  question: 'Does chain-of-thought data help?', model: 'public/models/webift-tiny', method: { peft: 'LORA', r: CLASSROOM.r, lora_alpha: CLASSROOM.alpha, target_modules: CLASSROOM.targetModules, lr: CLASSROOM.lr, batchSize: CLASSROOM.batchSize },
  steps, seeds, heldout: { arithmetic: testArith.length, chinese: testZh.length }, base, summary, runs, seconds: Math.round((Date.now() - started) / 1000),
  command: `npm run classroom -- --steps ${steps} --seeds ${seeds.join(',')}`,
};
process.stdout.write(`${classroomReport(result)}\n`);
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
say(`wrote ${out} (${result.seconds} s)`);
