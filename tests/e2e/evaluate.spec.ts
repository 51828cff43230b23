/**
 * The Evaluate screen in the production build (eval worker, embedded tiny model, on the wasm fallback: fast on these
 * CPU-only machines): a three-question multiple-choice
 * CSV picked through the file input gives the accuracy table (per subject and overall, shown as a share of 3), and
 * the AlpaGasus judge with this tab's model on two predictions files of two questions gives the win/tie/lose chart
 * whose accessible name counts both questions of the set.
 */
import { expect, test, type Page } from '@playwright/test';
import { openApp, tab } from './app-helpers';
import { launchWasmPage } from './wasm-context';

const CSV = ',Question,A,B,C,D,Answer\n0,What is 2 plus 2?,3,4,5,6,B\n1,What is 1 plus 5?,6,7,8,9,A\n2,What is 3 plus 3?,5,9,6,1,C\n';
const preds = (outs: string[]) => Buffer.from(outs.map((output, i) => JSON.stringify({ id: `k${i}`, question: `Name a colour (${i}).`, output, set: 'koala' })).join('\n'));

test('benchmark accuracy table and judge chart', async ({ playwright, launchOptions, baseURL }) => {
  const { browser, page } = await launchWasmPage(playwright, launchOptions, baseURL);
  try {
    await run(page);
  } finally {
    await browser.close();
  }
});

async function run(page: Page): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await openApp(page);
  await tab(page, 'Evaluate');

  await page.getByLabel('Benchmark file', { exact: true }).setInputFiles({ name: 'arith.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
  await page.getByRole('button', { name: 'Run benchmark' }).click();
  const table = page.getByRole('table', { name: 'Accuracy by subject' });
  await expect(table).toBeVisible({ timeout: 60_000 });
  await expect(table.getByRole('rowheader', { name: 'arith' })).toBeVisible();
  const overall = table.getByRole('row', { name: /^Overall 3 [0-3] / });
  await expect(overall).toBeVisible();
  await expect(page.getByRole('button', { name: 'Stop evaluation' })).toBeHidden();

  await page.getByLabel('Compare', { exact: true }).selectOption('files');
  await page.getByLabel('Predictions A').setInputFiles({ name: 'a.jsonl', mimeType: 'application/jsonl', buffer: preds(['Blue.', 'Red.']) });
  await page.getByLabel('Predictions B').setInputFiles({ name: 'b.jsonl', mimeType: 'application/jsonl', buffer: preds(['I do not know.', '']) });
  await expect(page.getByLabel('Judge', { exact: true })).toHaveValue('local');
  await page.getByRole('button', { name: 'Run judge' }).click();
  const chart = page.getByRole('img', { name: /^Judge results \(A against B\): koala: \d win, \d tie, \d lose/ });
  await expect(chart).toBeVisible({ timeout: 60_000 });
  const name = (await chart.getAttribute('aria-label'))!;
  const [, w, t, l, u] = /koala: (\d) win, (\d) tie, (\d) lose(?:, (\d) unparsed)?/.exec(name)!;
  expect(+w + +t + +l + +(u ?? 0)).toBe(2);
  expect(errors).toEqual([]);
}
