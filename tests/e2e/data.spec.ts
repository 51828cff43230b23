/**
 * The Data screen on the wasm fallback (no WebGPU): the dataset catalogue narrows by a tag chip and by search; the
 * AlpaGasus filter rates an embedded synthetic source through a fake OpenAI-compatible endpoint that a Playwright
 * route plays (same origin, `/__rater/v1/chat/completions`; no real network), the uPlot histogram and the kept
 * count match what the test computes from the same file, and the kept set replaces its source in the mix. Logs the
 * time the filter took, and saves tests/e2e/__screenshots__/data-catalogue.png.
 */
import { readFileSync } from 'node:fs';
import { expect, test, type LaunchOptions, type PlaywrightWorkerArgs } from '@playwright/test';
import { HAVE_SHARED } from '../helpers/fixtures';
import { convertFixtureModel, fixtureRecords, HAVE_EMBEDDED_DATA, HAVE_EMBEDDED_MODEL } from './fixture-app';
import { openApp, shot, tab } from './app-helpers';

const WEBGPU_FLAGS = /webgpu|swiftshader|Vulkan/i;
/** The source the filter rates: the embedded EN tasks (400 records), or the fixtures' addition set. */
const SOURCE = HAVE_EMBEDDED_DATA ? 'tasks-en' : 'addition';
const SOURCE_TEXT = HAVE_EMBEDDED_DATA ? readFileSync('public/data/synthetic/tasks-en.jsonl', 'utf8') : fixtureRecords();

/** The fake rater's rule: a score from the instruction's length, so the test can predict every score. */
const SCORES = ['5', '4.5\nGood.', '4\nMostly right.', '2.5\nWrong unit.', 'Score: n/a'];
const scoreOf = (instruction: string) => SCORES[instruction.length % SCORES.length];

test.skip(!HAVE_EMBEDDED_MODEL && !HAVE_SHARED, 'neither the embedded model nor the shared fixtures are here');
test.beforeAll(async () => convertFixtureModel());

async function wasmPage(playwright: PlaywrightWorkerArgs['playwright'], launchOptions: LaunchOptions, baseURL: string | undefined) {
  const args = (launchOptions.args ?? []).filter((a) => !WEBGPU_FLAGS.test(a));
  const browser = await playwright.chromium.launch({ ...launchOptions, args: [...args, '--disable-features=WebGPU'] });
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
  return { browser, page: await context.newPage() };
}

test('catalogue tag filter, then the AlpaGasus filter on embedded data against a fake endpoint', async ({ playwright, launchOptions, baseURL }) => {
  test.setTimeout(180_000);
  const { browser, page } = await wasmPage(playwright, launchOptions, baseURL);
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

    await cat.getByRole('button', { name: 'CN', exact: true }).click();
    await cat.getByRole('button', { name: 'EN', exact: true }).click();
    await cat.getByRole('button', { name: 'SI', exact: true }).click();
    // The catalogue (filtered to EN + SI), the preview and the filter with its histogram, in one tall viewport.
    await page.setViewportSize({ width: 1280, height: 1500 });
    await cat.evaluate((el) => el.scrollIntoView());
    await shot(page, 'data-catalogue', false);
  } finally {
    await browser.close();
  }
});
