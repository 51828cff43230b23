/**
 * The Data screen on the wasm fallback (no WebGPU): the dataset catalogue narrows by a tag chip and by search; the
 * AlpaGasus filter rates an embedded synthetic source through a fake OpenAI-compatible endpoint that a Playwright
 * route plays (same origin, `/__rater/v1/chat/completions`; no real network), the uPlot histogram and the kept
 * count match what the test computes from the same file, and the kept set replaces its source in the mix. A pull of
 * a catalogue entry from a routed hub is cancelled from its progress bar, then completes into IndexedDB, joins the
 * mix and previews with its rejected row. Logs the filter's time; saves tests/e2e/__screenshots__/data-catalogue.png.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { HAVE_SHARED } from '../helpers/fixtures';
import { convertFixtureModel, fixtureRecords, HAVE_EMBEDDED_DATA, HAVE_EMBEDDED_MODEL } from './fixture-app';
import { openApp, shot, tab } from './app-helpers';
import { launchWasmPage } from './wasm-context';

/** The source the filter rates: the embedded EN tasks (400 records), or the fixtures' addition set. */
const SOURCE = HAVE_EMBEDDED_DATA ? 'tasks-en' : 'addition';
const SOURCE_TEXT = HAVE_EMBEDDED_DATA ? readFileSync('public/data/synthetic/tasks-en.jsonl', 'utf8') : fixtureRecords();

/** The fake rater's rule: a score from the instruction's length, so the test can predict every score. */
const SCORES = ['5', '4.5\nGood.', '4\nMostly right.', '2.5\nWrong unit.', 'Score: n/a'];
const scoreOf = (instruction: string) => SCORES[instruction.length % SCORES.length];

test.skip(!HAVE_EMBEDDED_MODEL && !HAVE_SHARED, 'neither the embedded model nor the shared fixtures are here');
test.beforeAll(async () => convertFixtureModel());

test('catalogue tag filter, then the AlpaGasus filter on embedded data against a fake endpoint', async ({ playwright, launchOptions, baseURL }) => {
  test.setTimeout(180_000);
  const { browser, page } = await launchWasmPage(playwright, launchOptions, baseURL);
  try {
    const auth = new Set<string>();
    let rated = 0;
    await page.context().route('**/__rater/v1/chat/completions', async (route) => {
      const body = route.request().postDataJSON() as { messages: { role: string; content: string }[] };
      auth.add(route.request().headers().authorization ?? '');
      const instruction = /###Instruction:\n([\s\S]*?)\n\n### Input:/.exec(body.messages[1].content)![1];
      rated++;
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: scoreOf(instruction) }, finish_reason: 'stop' }] }) });
    });
    await openApp(page);
    await tab(page, 'Data');

    const cat = page.getByRole('region', { name: 'Dataset catalogue' });
    const count = cat.locator('.catalogue-count');
    await expect(count).toHaveText('48 of 48 datasets', { timeout: 30_000 });
    await expect(cat.locator('tbody tr')).toHaveCount(48);
    await cat.getByRole('button', { name: 'CN', exact: true }).click();
    await expect(cat.getByRole('button', { name: 'CN', exact: true })).toHaveAttribute('aria-pressed', 'true');
    await expect(count).toHaveText('13 of 48 datasets');
    await expect(cat.locator('tbody tr')).toHaveCount(13);
    await cat.getByRole('searchbox', { name: 'Search datasets' }).fill('belle');
    await expect(count).toHaveText('5 of 48 datasets');
    await cat.getByRole('searchbox', { name: 'Search datasets' }).fill('');
    await expect(count).toHaveText('13 of 48 datasets');

    // The expected outcome, from the same file and the same rule: kept = scores >= 4.5.
    const instructions = SOURCE_TEXT.split('\n').filter((l) => l.trim()).map((l) => (JSON.parse(l) as { instruction: string }).instruction);
    const expectedKept = instructions.filter((i) => ['5', '4.5\nGood.'].includes(scoreOf(i))).length;
    const expectedUnparsed = instructions.filter((i) => scoreOf(i) === 'Score: n/a').length;

    const panel = page.getByRole('region', { name: 'AlpaGasus filter' });
    const origin = new URL(page.url()).origin;
    await panel.getByLabel('Rater base URL').fill(`${origin}/__rater/v1`);
    await panel.getByLabel('Rater model').fill('fake-rater');
    await panel.getByLabel('API key').fill('sk-e2e-not-a-secret');
    await panel.getByLabel('API key').press('Tab');
    await panel.getByLabel('Source to filter').selectOption(SOURCE);
    await expect(panel.getByLabel('Threshold', { exact: true })).toHaveValue('4.5');
    const t0 = Date.now();
    await panel.getByRole('button', { name: 'Run filter' }).click();
    await expect(panel.locator('.kept-count')).toHaveAttribute('data-kept', String(expectedKept), { timeout: 120_000 });
    const seconds = (Date.now() - t0) / 1000;
    console.log(`[e2e timing] AlpaGasus filter of ${instructions.length} records through the routed fake endpoint: ${seconds.toFixed(1)} s`);
    expect(rated).toBe(instructions.length);
    expect([...auth]).toEqual(['Bearer sk-e2e-not-a-secret']);
    await expect(panel.locator('.score-chart')).toHaveAttribute('data-total', String(instructions.length - expectedUnparsed));
    await expect(panel.locator('.score-chart canvas')).toBeVisible();
    await expect(panel.locator('.filter-result')).toContainText(`Kept ${expectedKept} of ${instructions.length}`);

    // The kept set replaces its source in the mix, and the mix is read and tokenized again.
    await panel.getByRole('button', { name: 'Use the kept records in the mix' }).click();
    const kept = `${SOURCE}-alpagasus4.5.jsonl`;
    const perSource = page.getByRole('region', { name: 'Per source' });
    await expect(perSource.getByRole('row', { name: new RegExp(`^${kept.replace(/\./g, '\\.')} ${expectedKept} ${expectedKept} 0$`) })).toBeVisible({ timeout: 60_000 });
    expect(page.url()).not.toContain('sk-e2e');

    // Pull: the catalogue's 'dolly' entry from a routed hub (listing + file, CORS as the hub sends it). The first
    // pull is held and cancelled from its progress bar; the second completes into IndexedDB and joins the mix.
    const file = JSON.stringify(Array.from({ length: 20 }, (_, i) => (i === 7 ? { instruction: 'No output here' } : { instruction: `Name a colour (${i})`, input: '', output: `Blue ${i}` })));
    const oid = createHash('sha1').update(`blob ${Buffer.byteLength(file)}\0`).update(file).digest('hex');
    const cors = { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' };
    let release: () => void = () => undefined;
    let holds = 1;
    await page.context().route('https://huggingface.co/api/datasets/QingyiSi/Alpaca-CoT/tree/main**', (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', headers: cors, body: JSON.stringify([{ type: 'file', path: 'dolly/dolly.json', size: Buffer.byteLength(file), oid }]) }));
    await page.context().route('https://huggingface.co/datasets/QingyiSi/Alpaca-CoT/resolve/main/dolly/dolly.json', async (route) => {
      if (holds-- > 0) await new Promise<void>((r) => (release = r));
      await route.fulfill({ status: 200, contentType: 'application/json', headers: { ...cors, 'content-length': String(Buffer.byteLength(file)) }, body: file }).catch(() => undefined);
    });
    await cat.getByRole('button', { name: 'CN', exact: true }).click();
    await cat.getByRole('searchbox', { name: 'Search datasets' }).fill('dolly');
    const row = cat.locator('tbody tr[data-id="dolly"]');
    await row.getByRole('button', { name: 'Add to mix' }).click();
    await expect(cat.getByRole('progressbar', { name: 'Pull progress' })).toBeVisible();
    await cat.getByRole('button', { name: 'Cancel pull' }).click();
    await expect(page.getByRole('alert')).toContainText('The pull of dolly was cancelled');
    await expect(cat.getByRole('progressbar', { name: 'Pull progress' })).toHaveCount(0);
    release();
    await row.getByRole('button', { name: 'Add to mix' }).click();
    await expect(perSource.getByRole('row', { name: /^dolly 19 19 0$/ })).toBeVisible({ timeout: 60_000 });
    await expect(row).toContainText('stored');
    const preview = page.getByRole('region', { name: 'Record preview' });
    await preview.getByLabel('Source').selectOption('dolly');
    await preview.getByRole('button', { name: 'Preview' }).click();
    await expect(preview).toContainText('dolly: 19 records from 20 rows (alpaca), 1 rejected.');
    await expect(preview.locator('.rejections')).toContainText('index 7');

    await cat.getByRole('searchbox', { name: 'Search datasets' }).fill('');
    await cat.getByRole('button', { name: 'EN', exact: true }).click();
    await cat.getByRole('button', { name: 'SI', exact: true }).click();
    // The catalogue (filtered to EN + SI), the preview and the filter with its histogram, in one tall viewport.
    await page.setViewportSize({ width: 1280, height: 1850 });
    await cat.evaluate((el) => el.scrollIntoView());
    await shot(page, 'data-catalogue', false);
    // On a phone the table scrolls sideways inside its card; nothing spills out of the page.
    await page.setViewportSize({ width: 390, height: 844 });
    await cat.evaluate((el) => el.scrollIntoView());
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'data-catalogue-390', false);
  } finally {
    await browser.close();
  }
});
