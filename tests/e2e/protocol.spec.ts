/**
 * The worker protocol end to end (src/protocol through the real model worker): streamed progress while loading a
 * checkpoint from a URL, cancellation by `abort`, and errors as {message, details}. The checkpoint is served by a
 * Playwright route, so the worker's own fetch is exercised. The checkpoint is the committed webift-tiny.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { EMBEDDED_MODEL_DIR } from '../helpers/fixtures';

async function ready(page: Page) {
  await page.goto('/');
  await page.waitForFunction(() => window.__webift !== undefined);
  await page.evaluate(() => window.__webift!.backend());
}

/** Serves the embedded model's folder under /__fixture/, with an optional delay before each response. */
async function serveCase(page: Page, delayMs = 0) {
  await page.context().route('**/__fixture/**', async (route) => {
    const name = new URL(route.request().url()).pathname.replace(/^.*\/__fixture\//, '');
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    try {
      const body = readFileSync(path.join(EMBEDDED_MODEL_DIR, name));
      await route.fulfill({ status: 200, body, headers: { 'content-type': name.endsWith('.json') ? 'application/json' : 'application/octet-stream', 'cross-origin-resource-policy': 'same-origin' } });
    } catch {
      await route.fulfill({ status: 404, body: 'not found' }).catch(() => undefined);
    }
  });
}

test.describe('with a served checkpoint', () => {
  test('loadModel from a URL base streams progress and returns a summary', async ({ page }) => {
    await serveCase(page);
    await ready(page);
    const r = await page.evaluate(async () => {
      const events: { file: string; loaded: number; total: number | null }[] = [];
      const summary = await window.__webift!.client.call('loadModel', { baseUrl: '/__fixture' }, { onProgress: (p) => events.push(p) });
      return { summary, events };
    });
    expect(r.summary).toMatchObject({ family: 'llama', layers: 4, hidden: 128, heads: 4, kvHeads: 4, vocabSize: 928 }); // its config.json
    const st = r.events.filter((e) => e.file === 'model.safetensors');
    expect(st.length).toBeGreaterThan(0);
    const size = readFileSync(path.join(EMBEDDED_MODEL_DIR, 'model.safetensors')).byteLength;
    expect(st.at(-1)).toEqual({ file: 'model.safetensors', loaded: size, total: size });
  });

  test('abort cancels a call in flight and the worker keeps serving', async ({ page }) => {
    await serveCase(page, 3_000);
    await ready(page);
    const r = await page.evaluate(async () => {
      const ctrl = new AbortController();
      const call = window.__webift!.client.call('loadModel', { baseUrl: '/__fixture' }, { signal: ctrl.signal });
      setTimeout(() => ctrl.abort(), 200);
      const t0 = performance.now();
      const err = await call.then(() => null, (e: Error) => ({ name: e.name, message: e.message }));
      const waited = performance.now() - t0;
      const pending = window.__webift!.client.pending();
      const backend = await window.__webift!.backend();
      // Past the route's delay: the handler saw the abort too, so no model was installed behind the caller's back.
      await new Promise((res) => setTimeout(res, 3_500));
      const after = await window.__webift!.logits({ ids: [1], B: 1, T: 1 }).then(() => 'a model was loaded', (e: Error) => e.message);
      return { err, waited, pending, backend: backend.name, after };
    });
    expect(r.err?.name).toBe('AbortError');
    expect(r.waited).toBeLessThan(2_000);
    expect(r.pending).toBe(0);
    expect(r.backend).toBe('webgpu');
    expect(r.after).toContain('No model is loaded');
  });
});

test('errors cross the boundary as {message, details}', async ({ page }) => {
  await ready(page);
  const r = await page.evaluate(async () => {
    const hook = window.__webift!;
    const asData = (e: Error & { details?: string; remoteName?: string }) => ({ name: e.name, remoteName: e.remoteName, message: e.message, details: e.details });
    const noModel = await hook.logits({ ids: [1, 2, 3], B: 1, T: 3 }).then(() => null, asData);
    const badCheckpoint = await hook
      .loadModel([{ name: 'config.json', base64: btoa('{"model_type": "llama"') }], 'broken')
      .then(() => null, asData);
    const client = hook.client as unknown as { call(m: string, p: unknown): Promise<unknown> };
    const unknownMethod = await client.call('noSuchMethod', {}).then(() => null, asData);
    return { noModel, badCheckpoint, unknownMethod };
  });
  expect(r.noModel).toMatchObject({ name: 'RemoteError', message: expect.stringContaining('No model is loaded') });
  expect(r.noModel?.details).toBeTruthy();
  expect(r.badCheckpoint).toMatchObject({ name: 'RemoteError', remoteName: 'CheckpointError', message: expect.stringContaining('config.json is not valid JSON') });
  expect(r.badCheckpoint?.details).toContain('CheckpointError');
  expect(r.unknownMethod?.message).toContain("no method 'noSuchMethod'");
  expect(r.unknownMethod?.details).toContain('loadModel');
});
