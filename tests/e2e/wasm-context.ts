/**
 * A Chromium without WebGPU (the wasm fallback, fast on these CPU-only machines) for the fault and export/import
 * specs, optionally with init scripts run before the app (test flags, API stubs). As app-wasm.spec.ts launches it.
 */
import type { Browser, BrowserContext, LaunchOptions, Page, PlaywrightWorkerArgs } from '@playwright/test';

const WEBGPU_FLAGS = /webgpu|swiftshader|Vulkan/i;

export async function wasmBrowser(playwright: PlaywrightWorkerArgs['playwright'], launchOptions: LaunchOptions): Promise<Browser> {
  const args = (launchOptions.args ?? []).filter((a) => !WEBGPU_FLAGS.test(a));
  return playwright.chromium.launch({ ...launchOptions, args: [...args, '--disable-features=WebGPU'] });
}

export async function wasmPage(browser: Browser, baseURL: string | undefined, init: (() => void)[] = []): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  for (const f of init) await context.addInitScript(f);
  return { context, page: await context.newPage() };
}

/** A wasm browser and one fresh page in it, for specs that need nothing else; close the browser when done. */
export async function launchWasmPage(playwright: PlaywrightWorkerArgs['playwright'], launchOptions: LaunchOptions, baseURL: string | undefined): Promise<{ browser: Browser; page: Page }> {
  const browser = await wasmBrowser(playwright, launchOptions);
  return { browser, page: (await wasmPage(browser, baseURL)).page };
}
