/**
 * Vite builds the single-page app (Solid) and its module workers; Vitest (configured here too) runs the unit and
 * parity suites in Node. COOP/COEP headers give crossOriginIsolated pages (SharedArrayBuffer, precise timers).
 * Vitest has two projects: 'node', every suite (WebGPU on SwiftShader), and 'lavapipe', the WGSL kernel suites again
 * on Mesa's lavapipe (tests/helpers/lavapipe.ts): 8-lane subgroups where SwiftShader has 4, on a second Vulkan
 * implementation. They check f32 results, so f16 is off there; tests/kernels/f16-lavapipe.test.ts covers f16. The
 * second project exists when lavapipe can run here, or when WEBIFT_REQUIRE_LAVAPIPE=1 (.ci/run) demands it.
 */
import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import solid from 'vite-plugin-solid';

const lavapipe = process.env.WEBIFT_REQUIRE_LAVAPIPE === '1' ||
  (['x86_64', 'aarch64'].some((a) => existsSync(`/usr/share/vulkan/icd.d/lvp_icd.${a}.json`)) && existsSync('/usr/include/vulkan/vk_layer.h'));

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
    projects: [
      // Each project names its own files: `extends` would add a root list to the project's.
      { extends: true, test: { name: 'node', include: ['tests/**/*.test.ts'] } },
      ...(lavapipe ? [{
        extends: true as const,
        test: {
          name: 'lavapipe',
          include: ['tests/kernels/*-webgpu.test.ts'],
          setupFiles: ['tests/helpers/lavapipe-setup.ts'],
          env: { WEBIFT_WEBGPU_F16: '0' },
        },
      }] : []),
    ],
  },
});
