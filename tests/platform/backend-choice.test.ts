/**
 * Which backend Node picks (issue 11): a software WebGPU adapter is never the default (wasm is, and the backend line
 * says why), the Vulkan loader's driver search is never narrowed by default (VK_ICD_FILENAMES stays unset), and a
 * forced 'webgpu' still finds Chromium's SwiftShader driver on a machine without a GPU. The steps share one
 * process (navigator.gpu is global), so they run in order in one test.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src/platform/backend';
import { SWIFTSHADER_ICD } from '../../src/platform/webgpu';

const clean = process.env.VK_ICD_FILENAMES === undefined && process.env.WEBIFT_BACKEND === undefined && process.env.WEBIFT_SOFTWARE_GPU === undefined;

describe.skipIf(!clean)('backend choice in Node', () => {
  it('default skips software WebGPU, --backend webgpu forces it, WEBIFT_SOFTWARE_GPU=1 allows it', async () => {
    const first = await initBackend();
    console.log(`default: ${first.name}: ${first.reason}`);
    expect(process.env.VK_ICD_FILENAMES, 'the default path must not narrow the Vulkan driver search').toBeUndefined();
    if (first.name === 'webgpu') expect(first.gpu!.software, 'a software adapter was picked by default').toBe(false);
    else expect(first.name).toBe('wasm');
    if (first.name !== 'wasm' || !existsSync(SWIFTSHADER_ICD)) return; // a real GPU here, or no SwiftShader to force

    const forced = await initBackend({ prefer: ['webgpu'] });
    expect(forced.name).toBe('webgpu');
    expect(forced.gpu!.software).toBe(true);
    expect(forced.reason).toMatch(/software rasteriser: correct but slow/);

    // Now Dawn sees SwiftShader; the default order still prefers wasm, and says why.
    const again = await initBackend();
    expect(again.name).toBe('wasm');
    expect(again.reason).toBe('CPU (wasm): WebGPU adapter is SwiftShader, a software rasteriser (slower than the CPU here); --backend webgpu forces it');

    process.env.WEBIFT_SOFTWARE_GPU = '1';
    try {
      expect((await initBackend()).name).toBe('webgpu');
    } finally {
      delete process.env.WEBIFT_SOFTWARE_GPU;
    }
  });
});
