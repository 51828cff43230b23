/**
 * Vite builds the single-page app (Solid) and its module workers; Vitest (configured here too) runs the unit and
 * parity suites in Node. COOP/COEP headers give crossOriginIsolated pages (SharedArrayBuffer, precise timers).
 */
import { defineConfig } from 'vitest/config';
import solid from 'vite-plugin-solid';

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [solid()],
  server: { headers: isolation },
  preview: { headers: isolation },
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 4096 },
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'node_modules/**'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Dawn (WebGPU in Node) and tfjs hold global state: one file per worker process, files in parallel.
    pool: 'forks',
    fileParallelism: true,
    // vitest's default is one worker per core minus one: a single worker on a 2-core CI machine, which then idles
    // while a file waits on a CLI subprocess, Dawn or a socket. Two overlap those waits.
    maxWorkers: 2,
  },
});
