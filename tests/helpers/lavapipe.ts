/**
 * Puts this test process's WebGPU (Dawn in Node) on Mesa's lavapipe, a CPU Vulkan driver that has shader-f16 and
 * 8-lane subgroups (Chromium's SwiftShader, the other WebGPU here, has neither f16 nor 8 lanes). Dawn opens lavapipe
 * only through scripts/lavapipe-layer (layer.c says why); this builds it into a fresh temp folder and sets the
 * loader's variables, so call it before the first initBackend of the file. Each vitest file runs in its own process
 * (vite.config.ts: pool forks), so nothing leaks into other files.
 * Needs Debian's mesa-vulkan-drivers, libvulkan-dev and a C compiler (.ci/run installs them). Without them the
 * caller skips, with the reason printed, unless WEBIFT_REQUIRE_LAVAPIPE=1 (set by .ci/run), which makes it throw.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const LAYER = 'VK_LAYER_WEBIFT_lavapipe_features';
const ICDS = ['/usr/share/vulkan/icd.d/lvp_icd.x86_64.json', '/usr/share/vulkan/icd.d/lvp_icd.aarch64.json'];
const BUILD = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/lavapipe-layer/build.sh');

/** null when the process now targets lavapipe, else why it cannot (and the caller should skip). */
export function useLavapipe(): string | null {
  const icd = ICDS.find((f) => existsSync(f));
  let why: string | null = null;
  if (!icd) why = 'no lavapipe driver (apt install mesa-vulkan-drivers)';
  else if (!existsSync('/usr/include/vulkan/vk_layer.h')) why = 'no Vulkan headers (apt install libvulkan-dev)';
  else {
    const out = mkdtempSync(path.join(os.tmpdir(), 'webift-lavapipe-'));
    const r = spawnSync('bash', [BUILD, out], { encoding: 'utf8' });
    if (r.status !== 0) why = `the layer did not build (needs cc): ${(r.stderr || r.error?.message || '').trim().slice(0, 300)}`;
    else Object.assign(process.env, { VK_ICD_FILENAMES: icd, VK_LAYER_PATH: out, VK_INSTANCE_LAYERS: LAYER });
  }
  if (why && process.env.WEBIFT_REQUIRE_LAVAPIPE === '1') throw new Error(`lavapipe is required here (WEBIFT_REQUIRE_LAVAPIPE=1) but ${why}`);
  if (why) console.log(`[lavapipe] skipped: ${why}`);
  return why;
}
