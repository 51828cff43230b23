/**
 * Chat while training, on the wasm fallback: replies come from the separate generate worker (with the session's
 * adapter as of its last snapshot) and stream while the run keeps stepping; Pause training holds the run (the step
 * stands still, the status says paused), an adapter kept for comparison answers beside the current one, Continue
 * training goes on; the learning-rate chart fills. Logs the time
 * to the first streamed text while training, and saves tests/e2e/__screenshots__/train-pause.png.
 */
import { expect, test, type Page } from '@playwright/test';
import { HAVE_SHARED } from '../helpers/fixtures';
import { convertFixtureModel, HAVE_EMBEDDED_MODEL } from './fixture-app';
import { expectReply, openApp, sendChat, setNumber, shot, smallRun, tab } from './app-helpers';
import { launchWasmPage } from './wasm-context';

test.skip(!HAVE_EMBEDDED_MODEL && !HAVE_SHARED, 'neither the embedded model nor the shared fixtures are here');
test.beforeAll(async () => convertFixtureModel());

const step = async (page: Page) => Number(await page.getByTestId('step').innerText());

test('chat while training streams from the generate worker; pause and continue; learning-rate chart', async ({ playwright, launchOptions, baseURL }) => {
  test.setTimeout(300_000);
  const { browser, page } = await launchWasmPage(playwright, launchOptions, baseURL);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await openApp(page);
    await tab(page, 'Train');
    await smallRun(page, 400);
    await setNumber(page, 'Checkpoint every', 4);
    await page.getByRole('button', { name: 'Start training' }).click();
    await expect(page.locator('.loss-chart')).toHaveAttribute('data-points', /^([3-9]|\d\d+)$/, { timeout: 120_000 });

    // Chat while the run is going: both sides stream from the generate worker, the session keeps stepping.
    await tab(page, 'Chat');
    await page.getByText('Sampling', { exact: true }).click();
    await setNumber(page, 'Max new tokens', 24);
    const before = await step(page);
    const sent = Date.now();
    await sendChat(page, 'What is 2 plus 5?');
    const adapterSide = page.getByRole('region', { name: 'With adapter' });
    await expect(adapterSide.locator('.msg-assistant p')).not.toHaveText(/^(…|\(empty reply\))?$/, { timeout: 60_000 });
    const firstText = (Date.now() - sent) / 1000;
    for (const side of ['Base model', 'With adapter']) await expectReply(page, side);
    await expect(adapterSide.locator('h4')).toContainText(/\(step \d+\)/);
    const after = await step(page);
    expect(await page.locator('.hero-status').getAttribute('data-phase')).toBe('training');
    expect(after, 'training kept stepping while the chat replied').toBeGreaterThan(before);
    const ms = { base: await page.getByRole('region', { name: 'Base model' }).getAttribute('data-first-token-ms'), adapter: await adapterSide.getAttribute('data-first-token-ms') };
    console.log(`[e2e timing] chat while training on wasm: first text after ${firstText.toFixed(2)} s (page clock: base ${ms.base} ms, adapter ${ms.adapter} ms); steps ${before} -> ${after} meanwhile`);
    // A second message while training: the generate worker is warm now, only a newer checkpoint's bytes travel.
    await sendChat(page, 'What is 1 plus 1?');
    await expect(adapterSide.locator('.msg-assistant').nth(1)).toHaveAttribute('data-streaming', 'false', { timeout: 60_000 });
    await expect(page.getByRole('region', { name: 'Base model' }).locator('.msg-assistant').nth(1)).toHaveAttribute('data-streaming', 'false', { timeout: 60_000 });
    console.log(`[e2e timing] second chat while training on wasm (worker warm): first text after ${await page.getByRole('region', { name: 'Base model' }).getAttribute('data-first-token-ms')} ms (base), ${await adapterSide.getAttribute('data-first-token-ms')} ms (adapter)`);

    // Pause: the step stands still; Continue: it moves again.
    await page.getByRole('button', { name: 'Pause training' }).click();
    await expect(page.getByRole('button', { name: 'Continue training' })).toBeVisible();
    await expect(page.locator('.hero-status')).toContainText('paused');
    const held = await step(page);
    await expect(page.locator('.hero-status')).not.toContainText(/· 0 tokens\/s/); // the step in flight was timed normally

    // Adapter vs adapter while paused: keep the adapter as it is now, and compare it with itself at this step.
    await page.getByRole('button', { name: 'Keep current adapter for comparison' }).click();
    const kept = page.getByRole('region', { name: 'Compared adapter' });
    await expect(kept.locator('h4')).toContainText(`(step ${held})`);
    await sendChat(page, 'What is 6 plus 1?');
    for (const side of [kept, adapterSide]) await expect(side.locator('.msg-assistant')).toHaveAttribute('data-streaming', 'false', { timeout: 60_000 });
    await expect(adapterSide.locator('h4')).toContainText(`(step ${held})`);
    // Same weights on both sides (greedy by default): the same reply.
    expect(await kept.locator('.msg-assistant p').innerText()).toBe(await adapterSide.locator('.msg-assistant p').innerText());
    expect(await step(page), 'no step while paused').toBe(held);
    console.log(`[e2e timing] chat while paused on wasm (worker warm): first text after ${await kept.getAttribute('data-first-token-ms')} ms (kept adapter), ${await adapterSide.getAttribute('data-first-token-ms')} ms (current adapter)`);
    await tab(page, 'Train');
    const lr = page.locator('.lr-chart');
    await expect(lr).toHaveAttribute('data-points', String(held));
    await expect(lr).toHaveAttribute('aria-label', /^Learning-rate chart: \d+ steps, last learning rate \d\.\d\de-\d+$/);
    await shot(page, 'train-pause');
    expect(await step(page), 'no step while paused').toBe(held);
    await page.getByRole('button', { name: 'Continue training' }).click();
    await expect(page.getByRole('button', { name: 'Pause training' })).toBeVisible();
    await expect.poll(() => step(page), { timeout: 30_000 }).toBeGreaterThan(held);

    // Stop still works (also from a pause, which the vitest suite covers).
    await page.getByRole('button', { name: 'Stop training' }).click();
    await expect(page.locator('.hero-status')).toHaveAttribute('data-phase', 'stopped', { timeout: 60_000 });
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
});
