/**
 * Playwright runs tests/e2e against the PRODUCTION build (`vite build`, then `vite preview` on port 4173) in Debian's
 * headless Chromium with software WebGPU (SwiftShader). Never `npx playwright install`: the flags and the executable
 * are those that ENVIRONMENT.md found to work. PLAYWRIGHT_CHROMIUM overrides the executable path.
 */
import { defineConfig } from '@playwright/test';

// E2E_PORT / E2E_OUT let two suites run side by side on one machine (each its own port and build folder).
const PORT = Number(process.env.E2E_PORT ?? 4173);
const OUT = process.env.E2E_OUT ?? 'dist';

export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 120_000,
  expect: { timeout: 30_000 },
  // One browser at a time: SwiftShader WebGPU is CPU-bound and the CI machines have 2 cores.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : 'list',
  webServer: {
    command: `npx vite build --outDir ${OUT} && npx vite preview --outDir ${OUT} --port ${PORT} --strictPort`,
    url: `http://localhost:${PORT}`,
    // Always build and serve afresh: a reused server on 4173 could be serving a stale build.
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
  use: {
    baseURL: `http://localhost:${PORT}`,
    browserName: 'chromium',
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.PLAYWRIGHT_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--enable-unsafe-webgpu',
        '--use-webgpu-adapter=swiftshader',
        '--disable-gpu-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
});
