/**
 * Hub loading in the browser worker: a Playwright route plays a host with the HF layout
 * (`{host}/{repo}/resolve/{revision}/{file}`); the first load downloads with progress, and after a page reload (a new
 * worker) the second load is served from the Cache API with zero requests and gives the same logits. The model is the
 * committed webift-tiny (public/models), so this runs in every checkout.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { EMBEDDED_MODEL_DIR } from '../helpers/fixtures';

const REPO = 'fixture-org/webift-tiny';

async function ready(page: Page) {
  await page.goto('/');
  await page.waitForFunction(() => window.__webift !== undefined);
  await page.evaluate(() => window.__webift!.backend());
}

test.describe('hub loading', () => {
  test('downloads once with progress, then loads from the Cache API with no request', async ({ page }) => {
    const seen: string[] = [];
    await page.context().route('**/__hub/**', async (route) => {
      const url = new URL(route.request().url());
      seen.push(url.pathname);
      const m = /\/__hub\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
      const file = m && m[1] === REPO && m[2] === 'main' ? path.join(EMBEDDED_MODEL_DIR, decodeURIComponent(m[3])) : null;
      let body: Buffer | null = null;
      try {
        body = file ? readFileSync(file) : null;
      } catch {
        body = null;
      }
      if (!body) return route.fulfill({ status: 404, body: 'Entry not found' });
      await route.fulfill({ status: 200, body, headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.length) } });
    });
    await ready(page);
    const host = `${new URL(page.url()).origin}/__hub`;
    const ids = [1, 277, 235, 177, 125, 58];
    const first = await page.evaluate(async ({ host, repo, ids }) => {
      await caches.delete('webift-hub');
      const r = await window.__webift!.loadModelFromHub({ repo, host });
      const l = await window.__webift!.logits({ ids, B: 1, T: ids.length });
      return { r, logits: l.logits };
    }, { host, repo: REPO, ids });
    expect(first.r.summary.family).toBe('llama');
    expect(first.r.progress).toBeGreaterThan(0);
    expect(seen.some((p) => p.endsWith('/model.safetensors'))).toBe(true);

    seen.length = 0;
    await page.reload();
    await page.waitForFunction(() => window.__webift !== undefined);
    const second = await page.evaluate(async ({ host, repo, ids }) => {
      await window.__webift!.loadModelFromHub({ repo, host });
      const l = await window.__webift!.logits({ ids, B: 1, T: ids.length });
      return l.logits;
    }, { host, repo: REPO, ids });
    expect(seen).toEqual([]);
    expect(second).toEqual(first.logits);
  });
});
