/**
 * The first minute and the main flow, in the production build on SwiftShader WebGPU: the page opens on the default
 * experiment already loaded; 20 training steps move the loss chart; the chat streams base and adapter replies side
 * by side; temperature changes; "Export adapter" downloads a PEFT zip; "Copy share link" reopens the same settings
 * in a new page. (Reload-and-resume runs on wasm, in app-wasm.spec.ts: it tests storage, not the backend, and is 40x faster there.)
 */
import { readFileSync } from 'node:fs';
import { unzipSync, strFromU8 } from 'fflate';
import { expect, test } from '@playwright/test';
import { HAVE_SHARED } from '../helpers/fixtures';
import { convertFixtureModel, HAVE_EMBEDDED_MODEL } from './fixture-app';
import { expectReply, openApp, sendChat, setNumber, shot, tab, trainSteps } from './app-helpers';

test.skip(!HAVE_EMBEDDED_MODEL && !HAVE_SHARED, 'neither the embedded model nor the shared fixtures are here');
test.beforeAll(async () => convertFixtureModel());

test('train 20 steps, chat, change temperature, export, share', async ({ page, context }) => {
  test.setTimeout(300_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await openApp(page);
  await expect(page.getByRole('button', { name: 'Export adapter' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Copy share link' })).toBeVisible();
  await shot(page, 'first-minute');

  const { seconds } = await trainSteps(page, 20);
  console.log(`[e2e timing] 20 training steps on ${await page.getByRole('status', { name: 'Compute backend' }).innerText()}: ${seconds.toFixed(1)} s`);
  await shot(page, 'train');

  await tab(page, 'Chat');
  await page.getByText('Sampling', { exact: true }).click();
  await setNumber(page, 'Temperature', 0.9);
  await sendChat(page, 'What is 3 plus 4?');
  for (const side of ['Base model', 'With adapter']) await expectReply(page, side, 120_000);
  await shot(page, 'chat');

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export adapter' }).click();
  const file = await (await download).path();
  const zip = unzipSync(new Uint8Array(readFileSync(file)));
  expect(Object.keys(zip).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
  const cfg = JSON.parse(strFromU8(zip['adapter_config.json']));
  expect(cfg).toMatchObject({ peft_type: 'LORA', r: 8, lora_alpha: 16, lora_dropout: 0.05 });
  expect(zip['adapter_model.safetensors'].length).toBeGreaterThan(100);

  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.getByRole('button', { name: 'Copy share link' }).click();
  const link = await page.getByLabel('Share link').inputValue();
  expect(link).toMatch(/#x=[A-Za-z0-9_-]+$/);
  const before = await page.evaluate(() => window.__webift!.experiment());
  expect(before).toMatchObject({ train: { maxSteps: 20 }, generation: { temperature: 0.9 } });

  const other = await context.newPage();
  await openApp(other, link);
  expect(await other.evaluate(() => window.__webift!.experiment())).toEqual(before);
  await tab(other, 'Train');
  await expect(other.getByLabel('Steps', { exact: true })).toHaveValue('20');
  await other.close();

  for (const name of ['Experiment', 'Data', 'Export', 'Storage']) {
    await tab(page, name);
    if (name === 'Data') await page.getByRole('button', { name: 'Read and tokenize the mix' }).click();
    if (name === 'Storage') await expect(page.getByRole('cell', { name: 'step-00000020', exact: true })).toBeVisible();
    await shot(page, name.toLowerCase());
  }
  expect(errors).toEqual([]);
});

test('a damaged share link restores nothing and says why', async ({ page }) => {
  await openApp(page, '/#x=AAAA-not-a-link');
  await expect(page.getByRole('alert')).toContainText('The default experiment is loaded instead');
  expect(await page.evaluate(() => (window.__webift!.experiment() as { train: { maxSteps: number } }).train.maxSteps)).toBe(60);
});

for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
  test(`the first minute fits ${viewport.width}x${viewport.height}`, async ({ page }) => {
    await page.setViewportSize(viewport);
    await openApp(page);
    await expect(page.getByRole('button', { name: 'Start training' })).toBeInViewport();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, `viewport-${viewport.width}`, false);
  });
}
