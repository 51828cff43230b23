/**
 * Stored data sources on the wasm fallback (no WebGPU): a catalogue entry pulled from a routed hub joins the mix,
 * rides in the share link as `stored: {entry}`, and the link reopened (then reloaded) in this browser reads it back
 * from IndexedDB with the hub unreachable, and trains. In a fresh browser profile the same link restores nothing,
 * says which entry is missing and offers the pull; after "Pull and open the link" the whole link is restored. The
 * Storage screen lists 'webift-shards' (the pulled file, AlpaGasus scores, the kept set) beside the checkpoints, and
 * deleting the file keeps the rest. The AlpaGasus preset opens the filter, where this tab's model rates offline.
 * Saves __screenshots__/storage-shards.png.
 */
import { createHash } from 'node:crypto';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { HAVE_SHARED } from '../helpers/fixtures';
import { convertFixtureModel, HAVE_EMBEDDED_DATA, HAVE_EMBEDDED_MODEL } from './fixture-app';
import { openApp, shot, smallRun, tab } from './app-helpers';

const WEBGPU_FLAGS = /webgpu|swiftshader|Vulkan/i;
const SOURCE = HAVE_EMBEDDED_DATA ? 'tasks-en' : 'addition';
const FILE = JSON.stringify(Array.from({ length: 20 }, (_, i) => (i === 7 ? { instruction: 'No output here' } : { instruction: `Name a colour (${i})`, input: '', output: `Blue ${i}` })));
const OID = createHash('sha1').update(`blob ${Buffer.byteLength(FILE)}\0`).update(FILE).digest('hex');
const CORS = { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' };

test.skip(!HAVE_EMBEDDED_MODEL && !HAVE_SHARED, 'neither the embedded model nor the shared fixtures are here');
test.beforeAll(async () => convertFixtureModel());

/** The hub as data.spec.ts plays it: the Alpaca-CoT tree listing and dolly/dolly.json. Counts the file requests. */
async function routeHub(context: BrowserContext): Promise<{ files: () => number }> {
  let files = 0;
  await context.route('https://huggingface.co/api/datasets/QingyiSi/Alpaca-CoT/tree/main**', (route) =>
    route.fulfill({ status: 200, contentType: 'application/json', headers: CORS, body: JSON.stringify([{ type: 'file', path: 'dolly/dolly.json', size: Buffer.byteLength(FILE), oid: OID }]) }));
  await context.route('https://huggingface.co/datasets/QingyiSi/Alpaca-CoT/resolve/main/dolly/dolly.json', (route) => {
    files++;
    return route.fulfill({ status: 200, contentType: 'application/json', headers: { ...CORS, 'content-length': String(Buffer.byteLength(FILE)) }, body: FILE });
  });
  return { files: () => files };
}

const perSourceRow = (page: Page, re: RegExp) => page.getByRole('region', { name: 'Per source' }).getByRole('row', { name: re });
const experiment = (page: Page) => page.evaluate(() => window.__webift!.experiment()) as Promise<{ data: unknown[]; train: { maxSteps: number } }>;

test('a pulled source survives the share link and a reload, trains, and a fresh browser is offered the pull', async ({ playwright, launchOptions, baseURL }) => {
  test.setTimeout(300_000);
  const args = (launchOptions.args ?? []).filter((a) => !WEBGPU_FLAGS.test(a));
  const browser = await playwright.chromium.launch({ ...launchOptions, args: [...args, '--disable-features=WebGPU'] });
  try {
    const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const hub = await routeHub(context);
    const page = await context.newPage();
    await openApp(page);
    await tab(page, 'Data');
    const cat = page.getByRole('region', { name: 'Dataset catalogue' });
    await expect(cat.locator('.catalogue-count')).toHaveText('48 of 48 datasets', { timeout: 30_000 });
    await cat.getByRole('searchbox', { name: 'Search datasets' }).fill('dolly');
    await cat.locator('tbody tr[data-id="dolly"]').getByRole('button', { name: 'Add to mix' }).click();
    await expect(perSourceRow(page, /^dolly 19 19 0$/)).toBeVisible({ timeout: 60_000 });
    await expect(page.getByRole('region', { name: 'Data mix' }).locator('li').filter({ hasText: 'dolly' })).toContainText('(stored in this browser)');
    expect(hub.files()).toBe(1);

    await tab(page, 'Train');
    await smallRun(page, 2);
    await page.getByRole('button', { name: 'Copy share link' }).click();
    const link = await page.getByLabel('Share link').inputValue();
    const linked = await experiment(page);
    expect(linked.data).toContainEqual({ name: 'dolly', url: '', weight: 1, stored: { entry: 'dolly' } });

    // The hub is gone from here on: the link must be served from IndexedDB.
    await context.unrouteAll();
    let hubHits = 0;
    await context.route('https://huggingface.co/**', (route) => (hubHits++, route.abort()));
    const again = await context.newPage();
    await openApp(again, link);
    expect(await experiment(again)).toEqual(linked);
    await again.reload();
    // The link is restored once the ingest worker said its stored sources are here (a moment after the page opens).
    await expect.poll(() => experiment(again), { timeout: 60_000 }).toEqual(linked);
    await expect(again.locator('.hero-status')).toHaveAttribute('data-phase', 'idle', { timeout: 60_000 });
    await tab(again, 'Data');
    await expect(perSourceRow(again, /^dolly 19 19 0$/)).toBeVisible({ timeout: 60_000 });
    const t0 = Date.now();
    await again.getByRole('button', { name: 'Start training' }).click();
    await expect(again.locator('.hero-status')).toHaveAttribute('data-phase', 'finished', { timeout: 120_000 });
    console.log(`[e2e timing] 2 steps on wasm with a stored source, from Start: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await expect(again.locator('.loss-chart')).toHaveAttribute('data-points', '2');
    expect(hubHits).toBe(0);

    // A kept set and its scores join the store: the AlpaGasus filter on 20 records through a routed fake rater.
    await again.context().route('**/__rater/v1/chat/completions', (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: '5' }, finish_reason: 'stop' }] }) }));
    const panel = again.getByRole('region', { name: 'AlpaGasus filter' });
    await panel.getByLabel('Rater base URL').fill(`${new URL(again.url()).origin}/__rater/v1`);
    await panel.getByLabel('Rater model').fill('fake-rater');
    await panel.getByLabel('Source to filter').selectOption(SOURCE);
    await panel.getByLabel('Rate at most').fill('20');
    await panel.getByLabel('Rate at most').blur();
    await panel.getByRole('button', { name: 'Run filter' }).click();
    await expect(panel.locator('.kept-count')).toHaveAttribute('data-kept', '20', { timeout: 60_000 });

    await tab(again, 'Storage');
    const storage = again.getByRole('region', { name: 'Stored in this browser' });
    const fileRow = storage.getByRole('row').filter({ hasText: 'dolly/dolly.json (QingyiSi/Alpaca-CoT)' });
    await expect(fileRow).toContainText(`Dataset file`);
    await expect(fileRow).toContainText('catalogue: dolly');
    expect(Buffer.byteLength(FILE)).toBe(1289);
    await expect(fileRow).toContainText('1.29 kB'); // 1289 bytes, as the Storage screen writes sizes
    await expect(storage.getByRole('row').filter({ hasText: `${SOURCE}-alpagasus4.5.jsonl` })).toContainText('Kept set');
    await expect(storage.getByRole('row').filter({ hasText: `scores of ${SOURCE}` })).toContainText('Filter scores');
    await expect(storage.getByRole('cell', { name: 'step-00000002', exact: true })).toBeVisible();
    await shot(again, 'storage-shards');
    await storage.getByRole('button', { name: 'Delete dolly/dolly.json (QingyiSi/Alpaca-CoT)' }).click();
    await expect(fileRow).toHaveCount(0);
    await expect(storage.getByRole('row').filter({ hasText: `${SOURCE}-alpagasus4.5.jsonl` })).toBeVisible();
    await expect(storage.getByRole('cell', { name: 'step-00000002', exact: true })).toBeVisible();
    // The mix still names dolly: reading it again says it is gone, in one message.
    await tab(again, 'Data');
    await again.getByRole('button', { name: 'Read and tokenize the mix' }).click();
    await expect(again.getByRole('alert')).toContainText("'dolly' has not been pulled yet");

    // A fresh profile (its own IndexedDB): nothing restored, one message, then the pull restores the whole link.
    const fresh = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
    const other = await fresh.newPage();
    await openApp(other, link);
    const offer = other.getByRole('alert').filter({ hasText: 'Nothing from the link was restored yet' });
    await expect(offer).toContainText("This link's data mix uses dolly from the dataset catalogue (not pulled in this browser yet).");
    expect((await experiment(other)).train.maxSteps).toBe(60);
    const freshHub = await routeHub(fresh);
    await offer.getByRole('button', { name: 'Pull and open the link' }).click();
    await expect(offer).toHaveCount(0, { timeout: 60_000 });
    expect(await experiment(other)).toEqual(linked);
    expect(freshHub.files()).toBe(1);
    await tab(other, 'Data');
    await expect(perSourceRow(other, /^dolly 19 19 0$/)).toBeVisible({ timeout: 60_000 });

    // The AlpaGasus preset opens the Data screen's filter with the embedded English tasks chosen.
    await tab(other, 'Experiment');
    await other.getByRole('button', { name: 'Use preset: AlpaGasus: filter then train' }).click();
    await expect(other.getByRole('tabpanel', { name: 'Data' })).toBeVisible();
    const filter = other.getByRole('region', { name: 'AlpaGasus filter' });
    if (HAVE_EMBEDDED_DATA) await expect(filter.getByLabel('Source to filter')).toHaveValue('tasks-en');
    // Offline: this tab's model rates (the endpoint fields are off; the help says its scores are poor).
    await filter.getByLabel('Rater', { exact: true }).selectOption('local');
    await expect(filter.getByLabel('Rater base URL')).toBeDisabled();
    await expect(filter).toContainText('expect scores close to noise');
    await filter.getByLabel('Rate at most').fill('3');
    await filter.getByLabel('Rate at most').blur();
    const t1 = Date.now();
    await filter.getByRole('button', { name: 'Run filter' }).click();
    await expect(filter.locator('.filter-status')).toContainText('Done: 3 rated', { timeout: 120_000 });
    console.log(`[e2e timing] 3 AlpaGasus ratings by this tab's model on wasm: ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    await expect(filter.locator('.filter-result')).toContainText('of 3 (score ≥ 4.5)');
    await filter.evaluate((el) => el.scrollIntoView());
    await shot(other, 'filter-local-rater', false);
  } finally {
    await browser.close();
  }
});
