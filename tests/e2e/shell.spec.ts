/**
 * The shell in real Chromium against the production build: the page loads, the worker picks WebGPU (SwiftShader on
 * the CI machines) and the header says so, at a laptop (1280x800) and a phone (390x844) viewport.
 * Not tested here: the screens' contents (tests/e2e/app.spec.ts).
 */
import { expect, test, type Page } from '@playwright/test';

async function backendLine(page: Page) {
  const line = page.getByRole('status', { name: 'Compute backend' });
  await expect(line).not.toHaveAttribute('data-state', 'starting', { timeout: 60_000 });
  return line;
}

test('the page loads and the backend line names WebGPU', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: 'webift' })).toBeVisible();
  const line = await backendLine(page);
  await expect(line).toHaveAttribute('data-state', 'ready');
  await expect(line).toContainText(/^WebGPU: /);
  await expect(line.locator('[data-backend]')).toHaveAttribute('data-backend', 'webgpu');
  expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);
  expect(errors).toEqual([]);
});

test('the screens are tabs reachable by keyboard', async ({ page }) => {
  await page.goto('/');
  const train = page.getByRole('tab', { name: 'Train' });
  await expect(train).toHaveAttribute('aria-selected', 'true');
  await train.focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Chat' })).toBeFocused();
  await expect(page.getByRole('tabpanel', { name: 'Chat' })).toBeVisible();
  await page.keyboard.press('End');
  await expect(page.getByRole('tabpanel', { name: 'Storage' })).toBeVisible();
  await expect(page.getByRole('tabpanel', { name: 'Train' })).toBeHidden();
});

for (const viewport of [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
]) {
  test.describe(`at ${viewport.width}x${viewport.height}`, () => {
    test.use({ viewport });

    test('the header and backend line are visible and nothing scrolls sideways', async ({ page }) => {
      await page.goto('/');
      await expect(page.getByRole('banner')).toBeVisible();
      await expect(page.getByRole('heading', { level: 1, name: 'webift' })).toBeInViewport();
      const line = await backendLine(page);
      await expect(line).toBeInViewport();
      await expect(page.getByRole('tab', { name: 'Data' })).toBeInViewport();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
    });
  });
}

test.describe('in the dark colour scheme', () => {
  test.use({ colorScheme: 'dark' });

  test('the page follows the system and stays readable', async ({ page }) => {
    await page.goto('/');
    const [bg, fg] = await page.evaluate(() => {
      const s = getComputedStyle(document.body);
      return [s.backgroundColor, s.color];
    });
    expect(bg).toBe('rgb(20, 21, 24)');
    expect(fg).toBe('rgb(232, 233, 235)');
  });
});
