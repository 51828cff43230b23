/**
 * The real-model runs in the app: headless Chromium on wasm opens a share link naming a real-shaped checkpoint that the
 * app's own server serves from the folders bench/real-models.ts wrote (run that first; linked in as /bench-models/).
 * A Playwright route cannot play the hub here: it hands bodies over the devtools pipe, which refuses 100 MB. It records the memory
 * estimate the app shows before the start, then starts training and waits for 2 steps. Prints one JSON line per run
 * with the estimate text, seconds to 2 steps and the peak RSS of Chromium's processes (sampled every 2 s).
 * Usage: node --import ./bin/node-env.mjs bench/app-real-models.ts [--runs smollm2-fp32,qwen05-int4] [--dir tmp/bench-models]
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { defaultExperiment } from '../src/experiment/experiment';
import { shareUrl } from '../src/experiment/share-link';

const RUNS: Record<string, { model: string; quantize: 'none' | 'int4'; batch: number }> = {
  'smollm2-fp32': { model: 'smollm2', quantize: 'none', batch: 4 },
  'qwen05-int4': { model: 'qwen05', quantize: 'int4', batch: 1 },
};
const { values } = parseArgs({ options: { runs: { type: 'string' }, dir: { type: 'string' } } });
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dir = path.resolve(values.dir ?? path.join(root, 'tmp/bench-models'));
const PORT = 4391;

function chromiumRssMb(): number {
  const r = spawnSync('ps', ['-C', 'chromium', '-o', 'rss='], { encoding: 'utf8' });
  return Math.round(r.stdout.split('\n').reduce((a, l) => a + (Number(l.trim()) || 0), 0) / 1024);
}

const server = spawn('sh', ['-c', `npx vite build --outDir dist-bench >/dev/null && ln -sfn ${JSON.stringify(dir)} dist-bench/bench-models && exec npx vite preview --outDir dist-bench --port ${PORT} --strictPort`], { cwd: root, stdio: 'ignore' });
const base = `http://localhost:${PORT}/`;
for (let i = 0; i < 180; i++) {
  if (await fetch(base).then((r) => r.ok, () => false)) break;
  await new Promise((r) => setTimeout(r, 1000));
}
const browser = await chromium.launch({
  executablePath: process.env.PLAYWRIGHT_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-features=WebGPU', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
try {
  for (const runName of (values.runs ?? Object.keys(RUNS).join(',')).split(',')) {
    const run = RUNS[runName];
    const folder = path.join(dir, run.model);
    if (!existsSync(path.join(folder, 'config.json'))) {
      console.log(JSON.stringify({ bench: 'app-real-model-train', run: runName, skipped: `${folder} not found: run bench/real-models.ts first` }));
      continue;
    }
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const x = defaultExperiment();
    x.model = { kind: 'url', url: `/bench-models/${run.model}/`, label: run.model };
    x.quantize = { mode: run.quantize, groupSize: 64, symmetric: true };
    x.peft = { ...x.peft, method: 'LORA', r: 8, alpha: 16, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] };
    x.train = { ...x.train, batchSize: run.batch, gradAccum: 1, cutoffLen: 256, maxSteps: 2, evalSplit: 0, evalEvery: 0, checkpointEvery: 1000 };
    let peak = 0;
    const sampler = setInterval(() => { peak = Math.max(peak, chromiumRssMb()); }, 2000);
    const t0 = Date.now();
    let out: Record<string, unknown> = {};
    try {
      await page.goto(shareUrl(base, x));
      await page.locator('.hero-status[data-phase="idle"]').waitFor({ timeout: 30 * 60_000 });
      const loadedS = (Date.now() - t0) / 1000;
      await page.getByRole('tab', { name: 'Train' }).click();
      await page.getByRole('button', { name: 'Estimate memory and time' }).click();
      const est = page.getByRole('region', { name: 'Before you start' }).locator('p').filter({ hasText: 'Needs about' });
      await est.waitFor({ timeout: 5 * 60_000 });
      const estimate = await est.innerText();
      const t1 = Date.now();
      await page.getByRole('button', { name: 'Start training' }).click();
      await page.locator('.loss-chart[data-points="2"]').waitFor({ timeout: 60 * 60_000 });
      out = { loaded_s: +loadedS.toFixed(1), estimate, steps_done: 2, seconds_to_2_steps: +((Date.now() - t1) / 1000).toFixed(1), survived: !page.isClosed() };
    } catch (e) {
      // What the page said: the error note or the status line, for the JSON line (and a screenshot beside the models).
      const said = await page.locator('[role="alert"], .error-note, .hero-status').allInnerTexts().catch(() => []);
      await page.screenshot({ path: path.join(dir, `app-${runName}-failed.png`) }).catch(() => undefined);
      out = { failed: (e as Error).message.split('\n')[0].slice(0, 200), page_said: said.join(' | ').slice(0, 300) };
    } finally {
      clearInterval(sampler);
    }
    console.log(JSON.stringify({ bench: 'app-real-model-train', run: runName, backend: 'wasm (Chromium)', batch: run.batch, cutoff: 256, quantize: run.quantize, ...out, peak_chromium_rss_mb: peak }));
    await context.close();
  }
} finally {
  await browser.close();
  server.kill();
}
process.exit(0);
