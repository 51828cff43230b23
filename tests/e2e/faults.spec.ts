/**
 * The failure paths of issue 5 in the real app on the wasm fallback, with faults injected into the session worker
 * (worker-handlers/test-faults.ts; only a page with `__webiftTestFaults` can): a GPU device lost mid-training gives
 * one clear message, the worker is replaced by a fresh one, and Resume continues from the kept checkpoint; a full
 * storage quota at a checkpoint stops the run with one message naming storage and the Storage screen, and Resume
 * continues from the previous checkpoint, which the Storage screen still lists.
 */
import { expect, test, type Page } from '@playwright/test';
import { HAVE_SHARED } from '../helpers/fixtures';
import { convertFixtureModel, HAVE_EMBEDDED_MODEL } from './fixture-app';
import { openApp, setNumber, shot, smallRun, tab } from './app-helpers';
import { wasmBrowser, wasmPage } from './wasm-context';

test.skip(!HAVE_EMBEDDED_MODEL && !HAVE_SHARED, 'neither the embedded model nor the shared fixtures are here');
test.beforeAll(async () => convertFixtureModel());

const withFaults = () => {
  (window as unknown as { __webiftTestFaults: boolean }).__webiftTestFaults = true;
};

async function startRun(page: Page, steps: number): Promise<void> {
  await tab(page, 'Train');
  await smallRun(page, steps);
  await setNumber(page, 'Checkpoint every', 2);
  await page.getByRole('button', { name: 'Start training' }).click();
  await expect(page.getByRole('listitem').filter({ hasText: 'step-00000002' })).toBeVisible({ timeout: 120_000 });
}

async function resumeFrom(page: Page, ckpt: string): Promise<void> {
  await page.getByRole('button', { name: 'Resume training' }).click();
  await expect(page.locator('.hero-status')).toContainText(`resumed from ${ckpt}`, { timeout: 120_000 });
  await expect(page.locator('.hero-status')).toHaveAttribute('data-phase', 'finished', { timeout: 200_000 });
}

test('device lost mid-training: one message, a fresh worker, Resume continues from the checkpoint', async ({ playwright, launchOptions, baseURL }) => {
  test.setTimeout(300_000);
  const browser = await wasmBrowser(playwright, launchOptions);
  try {
    const { page } = await wasmPage(browser, baseURL, [withFaults]);
    await openApp(page);
    const first = page.workers().find((w) => /train-worker/.test(w.url()));
    expect(first, 'the session worker runs').toBeTruthy();
    const closed = new Promise((r) => first!.once('close', r));
    const fresh = page.waitForEvent('worker', (w) => /train-worker/.test(w.url()));
    await startRun(page, 40);
    const t0 = Date.now();
    expect(await page.evaluate(() => window.__webift!.injectFault('device-lost'))).toBe(true);
    const alert = page.getByRole('alert');
    await expect(alert).toContainText(/^The compute worker lost its GPU device and will restart\. The last checkpoint \(step-\d{8}\) is kept: press Resume to continue\./);
    await expect(alert).toHaveCount(1);
    console.log(`[e2e timing] device loss to message: ${Date.now() - t0} ms`);
    await closed; // the old worker was terminated ...
    await fresh; // ... and a new one started
    const ckpt = /\((step-\d{8})\)/.exec(await alert.innerText())![1];
    await expect(page.getByRole('button', { name: 'Resume training' })).toBeVisible();
    await shot(page, 'fault-device-lost', false);
    await resumeFrom(page, ckpt);
  } finally {
    await browser.close();
  }
});

test('full storage quota at a checkpoint: one message naming storage, the previous checkpoint kept and resumable', async ({ playwright, launchOptions, baseURL }) => {
  test.setTimeout(300_000);
  const browser = await wasmBrowser(playwright, launchOptions);
  try {
    const { page } = await wasmPage(browser, baseURL, [withFaults]);
    await openApp(page);
    await startRun(page, 40);
    expect(await page.evaluate(() => window.__webift!.injectFault('quota-exceeded'))).toBe(true);
    const alert = page.getByRole('alert');
    await expect(alert).toContainText(/^Training stopped at step (\d+): this browser's storage for the site is full, so the checkpoint was not saved\. The last good checkpoint \(step-\d{8}\) is kept\. Free space on the Storage screen, then resume\./, { timeout: 120_000 });
    await expect(alert).toHaveCount(1);
    const text = await alert.innerText();
    const failedAt = Number(/at step (\d+)/.exec(text)![1]);
    const kept = /\((step-\d{8})\)/.exec(text)![1];
    expect(Number(kept.slice(5))).toBe(failedAt - 2); // the checkpoint before the one that did not fit
    await expect(page.locator('.hero-status')).toHaveAttribute('data-phase', 'failed');
    await shot(page, 'fault-quota', false);
    await tab(page, 'Storage');
    await expect(page.getByRole('cell', { name: kept, exact: true })).toBeVisible();
    await expect(page.getByRole('cell', { name: `step-${String(failedAt).padStart(8, '0')}`, exact: true })).toHaveCount(0);
    await resumeFrom(page, kept);
  } finally {
    await browser.close();
  }
});
