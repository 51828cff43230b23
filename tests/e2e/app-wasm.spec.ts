/**
 * The same flow on the wasm fallback: a Chromium without WebGPU, the header says why, and the app still trains 20
 * steps (the chart moves), chats with streamed text and exports the adapter zip. Logs the training time. Also a
 * reload mid-training: the page offers to resume, and the run continues from its IndexedDB checkpoint. And the
 * model panel's "Quantize base" = int4: the model reloads, the memory estimate drops, and training runs on it.
 */
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { expect, test } from '@playwright/test';
import { HAVE_SHARED } from '../helpers/fixtures';
import { convertFixtureModel, HAVE_EMBEDDED_MODEL } from './fixture-app';
import { expectReply, openApp, sendChat, setNumber, shot, smallRun, tab, trainSteps } from './app-helpers';
import { launchWasmPage } from './wasm-context';

test.skip(!HAVE_EMBEDDED_MODEL && !HAVE_SHARED, 'neither the embedded model nor the shared fixtures are here');
test.beforeAll(async () => convertFixtureModel());

test('without WebGPU: train 20 steps, chat and export on wasm', async ({ playwright, launchOptions, baseURL }) => {
  test.setTimeout(240_000);
  const { browser, page } = await launchWasmPage(playwright, launchOptions, baseURL);
  try {
    await openApp(page);
    await expect(page.getByRole('status', { name: 'Compute backend' })).toContainText(/^CPU \(wasm\): WebGPU not available because \S/);
    const { seconds } = await trainSteps(page, 20);
    console.log(`[e2e timing] 20 training steps on wasm: ${seconds.toFixed(1)} s`);
    await shot(page, 'train-wasm');

    await tab(page, 'Chat');
    await sendChat(page, 'What is 2 plus 5?');
    await expectReply(page, 'With adapter');

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export adapter' }).click();
    const zip = unzipSync(new Uint8Array(readFileSync(await (await download).path())));
    expect(Object.keys(zip).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
  } finally {
    await browser.close();
  }
});

test('reload mid-training, then resume from the last checkpoint', async ({ playwright, launchOptions, baseURL }) => {
  test.setTimeout(240_000);
  const { browser, page } = await launchWasmPage(playwright, launchOptions, baseURL);
  await openApp(page);
  await tab(page, 'Train');
  await smallRun(page, 400);
  await setNumber(page, 'Checkpoint every', 3);
  await page.getByRole('button', { name: 'Start training' }).click();
  await expect(page.getByRole('listitem').filter({ hasText: 'step-00000006' })).toBeVisible({ timeout: 200_000 });
  await page.reload();
  await expect(page.getByRole('button', { name: 'Resume training' })).toBeVisible({ timeout: 60_000 });
  await shot(page, 'resume-offer', false);
  await page.getByRole('button', { name: 'Resume training' }).click();
  await expect(page.locator('.hero-status')).not.toHaveAttribute('data-phase', /idle|loading-model|preparing-data/, { timeout: 120_000 });
  await expect(page.locator('.hero-status')).not.toHaveAttribute('data-phase', 'failed', { timeout: 5_000 }).catch(async (e) => {
    throw new Error(`resume failed: ${(await page.getByRole('alert').allInnerTexts()).join(' | ')}`, { cause: e });
  });
  await expect(page.locator('.hero-status')).toContainText(/resumed from step-000000(0[6-9]|[1-2]\d)/, { timeout: 120_000 });
  await expect(page.locator('.hero-status')).toHaveAttribute('data-phase', 'finished', { timeout: 240_000 });
  await expect(page.getByLabel('Steps', { exact: true })).toHaveValue('400');
  await browser.close();
});

/** "Needs about 12.3 MB of memory …" as bytes. */
function estimateBytes(text: string): number {
  const m = /Needs about ([\d.]+) (B|kB|MB|GB)/.exec(text);
  if (!m) throw new Error(`no memory estimate in: ${text}`);
  const unit: Record<string, number> = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9 };
  return Number(m[1]) * unit[m[2]];
}

test('quantize base int4: the estimate drops, then training runs on the int4 model', async ({ playwright, launchOptions, baseURL }) => {
  test.setTimeout(120_000);
  const { browser, page } = await launchWasmPage(playwright, launchOptions, baseURL);
  try {
    await openApp(page);
    const estimate = page.getByRole('region', { name: 'Before you start' }).locator('p').filter({ hasText: 'Needs about' });
    const f32 = await estimate.innerText();

    await tab(page, 'Experiment');
    await expect(page.getByLabel('Group size', { exact: true })).toBeHidden();
    await page.getByLabel('Quantize base', { exact: true }).selectOption('int4');
    await expect(page.getByLabel('Group size', { exact: true })).toHaveValue('64');
    await expect(page.getByText(/^Base weights: .* instead of .* \(int4 g64 sym\)\.$/)).toBeVisible({ timeout: 60_000 });
    await expect(page.locator('.hero-status')).toHaveAttribute('data-phase', 'idle', { timeout: 60_000 });

    await tab(page, 'Train');
    await expect(estimate).not.toHaveText(f32, { timeout: 30_000 });
    expect(estimateBytes(await estimate.innerText())).toBeLessThan(estimateBytes(f32));

    await smallRun(page, 400);
    await page.getByRole('button', { name: 'Start training' }).click();
    await expect(page.locator('.loss-chart')).toHaveAttribute('data-points', /^([2-9]|\d\d+)$/, { timeout: 60_000 });
    await page.getByRole('button', { name: 'Stop training' }).click();
    await expect(page.locator('.hero-status')).toHaveAttribute('data-phase', 'stopped', { timeout: 60_000 });
  } finally {
    await browser.close();
  }
});
