/**
 * Steps the app e2e tests share: open the app on the fixtures, set a field by its accessible name, start a run of
 * N steps and wait for it to finish (returning the wall time of the training steps), send a chat message and wait
 * for a side's finished, non-empty reply, and save a screenshot into
 * tests/e2e/__screenshots__ (kept as a CI artifact, never committed).
 */
import { mkdirSync } from 'node:fs';
import { expect, type Page } from '@playwright/test';
import { serveFixtures } from './fixture-app';

export const SHOTS = 'tests/e2e/__screenshots__';

export async function openApp(page: Page, url = '/'): Promise<void> {
  await serveFixtures(page.context());
  await page.goto(url);
  await expect(page.getByRole('status', { name: 'Compute backend' })).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  // The model and the data are loaded on open: the first minute starts "already loaded".
  await expect(page.locator('.hero-status')).toHaveAttribute('data-phase', 'idle', { timeout: 60_000 });
  await expect(page.getByRole('button', { name: 'Start training' })).toBeEnabled();
}

export async function setNumber(page: Page, label: string, value: number): Promise<void> {
  const input = page.getByLabel(label, { exact: true });
  await input.fill(String(value));
  await input.blur();
  await expect(input).toHaveValue(String(value));
}

export async function tab(page: Page, name: string): Promise<void> {
  await page.getByRole('tab', { name }).click();
  await expect(page.getByRole('tabpanel', { name })).toBeVisible();
}

/** The e2e run's size: software WebGPU runs ~40 tokens/s, so batch 2 x 64 tokens, 8 eval examples. */
export async function smallRun(page: Page, steps: number): Promise<void> {
  await setNumber(page, 'Steps', steps);
  await setNumber(page, 'Batch size', 2);
  await setNumber(page, 'Cutoff length', 64);
  await setNumber(page, 'Eval split', 8);
}

/** Clicks Start training and waits for the run to finish; returns seconds from the first to the last step event. */
export async function trainSteps(page: Page, steps: number, timeout = 240_000): Promise<{ seconds: number }> {
  await tab(page, 'Train');
  await smallRun(page, steps);
  await page.getByRole('button', { name: 'Start training' }).click();
  await expect(page.getByRole('button', { name: 'Stop training' })).toBeVisible();
  const chart = page.locator('.loss-chart');
  await expect(chart).toHaveAttribute('data-points', /^[1-9]/, { timeout });
  const t0 = Date.now();
  await expect(page.locator('.hero-status')).toHaveAttribute('data-phase', 'finished', { timeout });
  await expect(chart).toHaveAttribute('data-points', String(steps));
  return { seconds: (Date.now() - t0) / 1000 };
}

export async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage });
}

/** Types `text` into the Chat screen's message box and sends it. */
export async function sendChat(page: Page, text: string): Promise<void> {
  await page.getByLabel('Message').fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

/** Waits until the reply in column `side` ('Base model', 'With adapter') has finished streaming and is not empty. */
export async function expectReply(page: Page, side: string, timeout = 60_000): Promise<void> {
  const reply = page.getByRole('region', { name: side }).locator('.msg-assistant');
  await expect(reply).toHaveAttribute('data-streaming', 'false', { timeout });
  await expect(reply.locator('p')).not.toHaveText(/^(…|\(empty reply\))?$/);
}
