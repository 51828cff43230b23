/**
 * Export and import in the real app (wasm fallback): "Export to folder" against an in-page stand-in for the folder
 * picker (folder-stub.ts) writes adapter_config.json + adapter_model.safetensors through temp names then moves, with
 * nothing else left behind; those files import back from files and from a folder; a corrupt safetensors header is
 * one message and changes nothing; a hub repo id imports through a routed huggingface.co; the chat then replies
 * with the imported adapter. A browser without the API is told so. Screenshot: export-import.png.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from '@playwright/test';
import { HAVE_SHARED } from '../helpers/fixtures';
import { convertFixtureModel, HAVE_EMBEDDED_MODEL } from './fixture-app';
import { expectReply, openApp, sendChat, shot, tab, trainSteps } from './app-helpers';
import { installFolderStub, removeFolderPicker, type RecordedFolder } from './folder-stub';
import { wasmBrowser, wasmPage } from './wasm-context';

test.skip(!HAVE_EMBEDDED_MODEL && !HAVE_SHARED, 'neither the embedded model nor the shared fixtures are here');
test.beforeAll(async () => convertFixtureModel());

const CFG = 'adapter_config.json', W = 'adapter_model.safetensors';

test('export to a folder; import from files, a folder and the hub; a corrupt file changes nothing', async ({ playwright, launchOptions, baseURL }) => {
  test.setTimeout(300_000);
  const browser = await wasmBrowser(playwright, launchOptions);
  try {
    const { context, page } = await wasmPage(browser, baseURL, [installFolderStub]);
    const hub: Record<string, Buffer> = {};
    const hubAsked: string[] = [];
    await context.route('https://huggingface.co/**', async (route) => {
      const m = /^\/someone\/tiny-lora\/resolve\/main\/(.+)$/.exec(new URL(route.request().url()).pathname);
      hubAsked.push(new URL(route.request().url()).pathname);
      const body = m ? hub[decodeURIComponent(m[1])] : undefined;
      const cors = { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin', 'access-control-expose-headers': 'content-length, etag' };
      if (!body) return route.fulfill({ status: 404, body: 'Entry not found', headers: cors });
      return route.fulfill({ status: 200, body, headers: { ...cors, 'content-type': 'application/octet-stream', 'content-length': String(body.length) } });
    });
    await openApp(page);
    await trainSteps(page, 4);

    await tab(page, 'Export');
    await page.getByRole('button', { name: 'Export to folder' }).click();
    await expect(page.getByRole('status').filter({ hasText: /^Wrote adapter_config\.json and adapter_model\.safetensors into the folder 'picked-folder' \(\d+\.\d\d MB\)\.$/ })).toBeVisible();
    const folder = await page.evaluate(() => {
      const f = (window as unknown as { __folder: RecordedFolder }).__folder;
      return { log: f.log, files: f.files };
    });
    expect(Object.keys(folder.files).sort()).toEqual([CFG, W]);
    expect(folder.log).toEqual([`close .${CFG}.webift-tmp`, `close .${W}.webift-tmp`, `move .${CFG}.webift-tmp -> ${CFG}`, `move .${W}.webift-tmp -> ${W}`]);
    const cfgBuf = Buffer.from(folder.files[CFG]), wBuf = Buffer.from(folder.files[W]);
    const cfg = JSON.parse(cfgBuf.toString('utf8'));
    expect(cfg).toMatchObject({ peft_type: 'LORA', r: 8, lora_alpha: 16, task_type: 'CAUSAL_LM' });
    expect([...cfg.target_modules].sort()).toEqual(['q_proj', 'v_proj']);
    const header = JSON.parse(wBuf.subarray(8, 8 + Number(wBuf.readBigUInt64LE(0))).toString('utf8'));
    expect(Object.keys(header).filter((k) => k.endsWith('q_proj.lora_A.weight')).length).toBeGreaterThan(0);

    // Import the same files back: from two files, then from a folder.
    const imported = page.getByRole('status').filter({ hasText: /^Imported a LORA adapter with [\d,]+ parameters from / });
    await page.getByLabel('Adapter files').setInputFiles([{ name: CFG, mimeType: 'application/json', buffer: cfgBuf }, { name: W, mimeType: 'application/octet-stream', buffer: wBuf }]);
    await expect(imported).toContainText('from the chosen files. Chat uses it now.');
    const dir = path.join(os.tmpdir(), `webift-e2e-adapter-${process.pid}`, 'my-adapter');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, CFG), cfgBuf);
    writeFileSync(path.join(dir, W), wBuf);
    await page.getByLabel('Adapter folder').setInputFiles(dir);
    await expect(imported).toContainText('from my-adapter. Chat uses it now.');

    // A corrupt safetensors header: one message, the adapter in place is kept.
    const bad = Buffer.from(wBuf);
    bad.writeUInt32LE(0xfffffff0, 0);
    await page.getByLabel('Adapter files').setInputFiles([{ name: CFG, mimeType: 'application/json', buffer: cfgBuf }, { name: W, mimeType: 'application/octet-stream', buffer: bad }]);
    const alert = page.getByRole('alert');
    await expect(alert).toContainText(/^This adapter does not fit the loaded model \(.+\): adapter_model\.safetensors: header length \d+ does not fit in a \d+-byte file \(truncated or not safetensors\)\..* The current adapter is kept\./);
    await expect(alert).toHaveCount(1);

    // From the hub by repo id (huggingface.co routed to the exported files).
    hub[CFG] = cfgBuf;
    hub[W] = wBuf;
    await page.getByLabel('Adapter repo id').fill('someone/tiny-lora');
    await page.getByRole('button', { name: 'Import from hub' }).click();
    await expect(imported).toContainText('from someone/tiny-lora@main. Chat uses it now.');
    await expect(page.getByRole('alert')).toHaveCount(0);
    expect(hubAsked).toEqual([`/someone/tiny-lora/resolve/main/${CFG}`, `/someone/tiny-lora/resolve/main/${W}`]);
    await shot(page, 'export-import');

    // The chat answers with the imported adapter.
    await tab(page, 'Chat');
    await sendChat(page, 'What is 2 plus 5?');
    await expectReply(page, 'With adapter');
    await expect(page.getByRole('alert')).toHaveCount(0);

    // A browser without the File System Access API: the button says so, the zip stays.
    const other = await wasmPage(browser, baseURL, [removeFolderPicker]);
    await openApp(other.page);
    await tab(other.page, 'Export');
    await other.page.getByRole('button', { name: 'Export to folder' }).click();
    await expect(other.page.getByRole('status').filter({ hasText: /^This browser cannot write into a folder \(it has no File System Access API; Firefox and Safari lack it\)\. Use "Export adapter \(PEFT zip\)"/ })).toBeVisible();
    await expect(other.page.getByRole('button', { name: 'Export adapter (PEFT zip)' })).toBeEnabled();
  } finally {
    await browser.close();
  }
});
