/**
 * WebGPU discovery: navigator.gpu in the browser and workers, the `webgpu` package (Dawn) in Node.
 * Reports the adapter's real limits (maxBufferSize, maxStorageBufferBindingSize), never the spec defaults.
 * Not handled: multiple adapters (we take the default one) and Dawn's OpenGL ES compatibility adapter.
 */
import { envVar, importNodeOnly, runtime } from './env';

export interface GpuInfo {
  adapterName: string;
  vendor: string;
  architecture: string;
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  maxComputeWorkgroupStorageSize: number;
  features: string[];
}

export interface GpuProbe {
  ok: boolean;
  info?: GpuInfo;
  /** Why WebGPU is not available, in words a user can act on. */
  reason: string;
}

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * In Node, installs `navigator.gpu` from Dawn. Must run before `@tensorflow/tfjs-backend-webgpu` is imported,
 * which is why the backend is always imported dynamically after this call.
 */
async function installNodeGpu(): Promise<string | null> {
  const g = globalThis as Record<string, unknown>;
  const nav = g.navigator as { gpu?: unknown } | undefined;
  if (nav?.gpu) return null;
  const fs = await importNodeOnly<typeof import('node:fs')>('node:fs');
  const env = (g.process as { env: Record<string, string | undefined> }).env;
  // Without it the Vulkan loader prints "XDG_RUNTIME_DIR is invalid" on every start; any private dir will do.
  if (!env.XDG_RUNTIME_DIR) env.XDG_RUNTIME_DIR = (await importNodeOnly<typeof import('node:os')>('node:os')).tmpdir();
  if (!envVar('VK_ICD_FILENAMES') && fs.existsSync(SWIFTSHADER_ICD)) {
    // Dawn's Vulkan backend needs an ICD; with no GPU, Chromium's SwiftShader is the one that works.
    (g.process as { env: Record<string, string> }).env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  let mod: { create: (flags: string[]) => unknown; globals: Record<string, unknown> };
  try {
    mod = await importNodeOnly<typeof mod>('webgpu');
  } catch (e) {
    return `the 'webgpu' (Dawn) package could not be loaded: ${(e as Error).message}`;
  }
  Object.assign(globalThis, mod.globals);
  const gpu = mod.create([]);
  if (nav) {
    try {
      (nav as Record<string, unknown>).gpu = gpu;
    } catch {
      Object.defineProperty(globalThis, 'navigator', { value: { ...nav, gpu }, configurable: true });
    }
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  return null;
}

export async function probeWebGpu(): Promise<GpuProbe> {
  if (runtime() === 'node') {
    const err = await installNodeGpu();
    if (err) return { ok: false, reason: err };
  }
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) return { ok: false, reason: 'this browser does not expose navigator.gpu (WebGPU is off or unsupported)' };
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { ok: false, reason: `requestAdapter failed: ${(e as Error).message}` };
  }
  if (!adapter) return { ok: false, reason: 'no WebGPU adapter was found (no usable GPU or driver)' };
  const a = adapter as GPUAdapter & { info?: GPUAdapterInfo };
  const info = a.info;
  const name = info ? [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') : '';
  return {
    ok: true,
    reason: 'WebGPU adapter available',
    info: {
      adapterName: name || 'unknown adapter',
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      maxBufferSize: adapter.limits.maxBufferSize,
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
      features: [...adapter.features],
    },
  };
}
