/**
 * `npm run demo [-- --json] [-- --steps N --seed S --out DIR --model DIR --heldout-n N]`: the default experiment headless and offline. LoRA
 * (r 8, all linear layers) on the embedded webift-tiny with public/data/synthetic/demo-train.jsonl; prints the loss
 * as a text chart, three chat examples before/after, exact-match accuracy on demo-test.jsonl before/after, and where
 * the adapter was written. With --json the last stdout line is
 * {"accuracy_before", "accuracy_after", "heldout_n", "adapter_dir", "seconds"}; everything else goes to stderr.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../src/platform/backend';
import { evaluateHeldOut, type HeldOutResult } from '../src/eval/heldout';
import { writeAdapterDir } from '../src/node/adapter-dir';
import { loraRun, MODEL_DIR, openTiny, readJsonl } from './lib/lora-run';
import { textChart } from './lib/text-chart';

const argv = process.argv.slice(2);
const flag = (k: string, d: string) => {
  const i = argv.indexOf(`--${k}`);
  return i >= 0 ? argv[i + 1] : d;
};
const json = argv.includes('--json');
const steps = Number(flag('steps', '240')), seed = Number(flag('seed', '42'));
const heldoutN = Number(flag('heldout-n', '1000000'));
const outDir = flag('out', path.join(os.tmpdir(), 'webift-demo'));
const say = (s: string) => process.stderr.write(`${s}\n`);
const print = json ? say : (s: string) => process.stdout.write(`${s}\n`);

const started = Date.now();
const backend = await initBackend({ prefer: ['wasm', 'cpu'] });
say(`backend: ${backend.reason}`);
const { model, tok } = await openTiny(flag('model', MODEL_DIR));
const trainSet = readJsonl('demo-train.jsonl'), test = readJsonl('demo-test.jsonl').slice(0, heldoutN);
print(`webift demo: LoRA r=8 on webift-tiny (${model.config.layers} layers, width ${model.config.hidden}), ${trainSet.length} training records, ${steps} steps, seed ${seed}`);

const chatIdx = [test.findIndex((r) => r.family === 'arithmetic' && r.lang === 'en'), test.findIndex((r) => r.lang === 'zh'), test.findIndex((r) => r.family !== 'arithmetic' && r.lang === 'en')].filter((i) => i >= 0);
const before = await evaluateHeldOut(model, tok, test);
print(`before: exact match ${pct(before)} on ${before.n} held-out prompts`);

const { adapter, losses } = await loraRun(model, tok, trainSet, { steps, seed, onStep: (s, l) => s % 25 === 0 && say(`step ${s}/${steps} loss ${l.toFixed(3)}`) });
print('\ntraining loss');
print(textChart(losses, { label: `${((Date.now() - started) / 1000).toFixed(0)} s so far` }));

const after = await evaluateHeldOut(model, tok, test, { adapter });
print(`\nafter:  exact match ${pct(after)} on ${after.n} held-out prompts (before: ${pct(before)})`);
for (const g of Object.keys(after.groups).sort()) print(`  ${g.padEnd(16)} ${frac(before.groups[g])} -> ${frac(after.groups[g])}`);
print('\nchat examples (greedy)');
for (const i of chatIdx) {
  print(`> ${test[i].instruction}`);
  print(`  before: ${oneLine(before.responses[i].response)}`);
  print(`  after:  ${oneLine(after.responses[i].response)}   [expected ${test[i].answer}]`);
}
const adapterDir = path.join(outDir, 'adapter');
await writeAdapterDir(adapter, adapterDir, 'public/models/webift-tiny');
const seconds = Math.round((Date.now() - started) / 100) / 10;
print(`\nadapter written to ${adapterDir}  (${seconds} s in all)`);
if (json) process.stdout.write(`${JSON.stringify({ accuracy_before: round(before.accuracy), accuracy_after: round(after.accuracy), heldout_n: after.n, adapter_dir: adapterDir, seconds })}\n`);
adapter.dispose();
model.dispose();

function pct(r: HeldOutResult): string {
  return `${(100 * r.accuracy).toFixed(1)}% (${r.responses.filter((x) => x.correct).length}/${r.n})`;
}
function frac(g?: { correct: number; n: number }): string {
  return g ? `${g.correct}/${g.n}` : '-';
}
function oneLine(s: string): string {
  const t = s.replace(/\n/g, ' ⏎ ');
  return t.length > 90 ? `${t.slice(0, 90)}…` : t;
}
function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
