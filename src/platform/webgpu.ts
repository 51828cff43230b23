/**
 * WebGPU discovery: navigator.gpu in the browser and workers, the `webgpu` package (Dawn) in Node.
 * Reports the adapter's real limits, never the spec defaults, and whether it is a software rasteriser.
 * Node never narrows the Vulkan loader's driver search by default (VK_ICD_FILENAMES would hide a real GPU): only when
 * software WebGPU is asked for and no adapter was found does it retry with Chromium's SwiftShader driver.
 * Not handled: multiple adapters (we take the default one) and Dawn's OpenGL ES compatibility adapter.
 */
import { envVar, importNodeOnly, runtime } from './env';

export interface GpuInfo {
  adapterName: string;
  vendor: string;
  architecture: string;
  /** SwiftShader, lavapipe, llvmpipe, WARP ...: correct, but slower than wasm. */
  software: boolean;
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxStorageBuffersPerShaderStage: number;
  features: string[];
}

export interface GpuProbe {
  ok: boolean;
  info?: GpuInfo;
  /** Why WebGPU is not available, in words a user can act on. */
  reason: string;
}

export interface ProbeOptions {
  /** Node: when no adapter is found, retry with Chromium's SwiftShader Vulkan driver (tests, --backend webgpu). */
  softwareFallback?: boolean;
}

/** Debian's chromium package ships this driver; Dawn's Vulkan backend runs on it with no GPU at all. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export function isSoftwareAdapter(text: string): boolean {
  return /swiftshader|llvmpipe|lavapipe|software|microsoft basic render|warp/i.test(text);
}

type Dawn = { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
/** Flags for every Dawn instance in Node (not allow_unsafe_apis: no kernel here needs an unsafe API). */
export const DAWN_FLAGS = ['enable-dawn-features=vulkan_enable_f16_on_nvidia'];
let dawn: Dawn | null = null;

/**
 * In Node, installs (or replaces) `navigator.gpu` with a fresh Dawn instance. Must run before
 * `@tensorflow/tfjs-backend-webgpu` is imported, which is why the backend is always imported dynamically after it.
 */
async function installNodeGpu(): Promise<string | null> {
  const g = globalThis as Record<string, unknown>;
  const env = (g.process as { env: Record<string, string | undefined> }).env;
  // Without it the Vulkan loader prints "XDG_RUNTIME_DIR is invalid" on every start; any private dir will do.
  if (!env.XDG_RUNTIME_DIR) env.XDG_RUNTIME_DIR = (await importNodeOnly<typeof import('node:os')>('node:os')).tmpdir();
  if (!dawn) {
    try {
      dawn = await importNodeOnly<Dawn>('webgpu');
    } catch (e) {
      return `the 'webgpu' (Dawn) package could not be loaded: ${(e as Error).message}`;
    }
    Object.assign(globalThis, dawn.globals);
  }
  // A new Dawn instance makes the Vulkan loader scan its drivers again, so a changed VK_ICD_FILENAMES takes effect.
  // Dawn hides shader-f16 on NVIDIA's Vulkan driver unless this toggle is on; it changes nothing elsewhere.
  const gpu = dawn.create(DAWN_FLAGS);
  const nav = g.navigator as Record<string, unknown> | undefined;
  if (nav) {
    try {
      nav.gpu = gpu;
      if (nav.gpu === gpu) return null;
    } catch {
      // a read-only navigator (Node 21+): replace it below
    }
    Object.defineProperty(globalThis, 'navigator', { value: { ...nav, gpu }, configurable: true, writable: true });
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  return null;
}

async function requestAdapter(): Promise<GPUAdapter | string | null> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) return 'this browser does not expose navigator.gpu (WebGPU is off or unsupported)';
  try {
    return await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return `requestAdapter failed: ${(e as Error).message}`;
  }
}

/** Node: the existing navigator.gpu or Dawn with the loader's own driver search, then (if asked) SwiftShader. */
async function nodeAdapter(opts: ProbeOptions): Promise<GPUAdapter | string | null> {
  if (!(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) {
    const err = await installNodeGpu();
    if (err) return err;
  }
  const first = await requestAdapter();
  if (first || !opts.softwareFallback || !dawn || envVar('VK_ICD_FILENAMES') || !(await swiftShaderPresent())) return first;
  (globalThis as { process: { env: Record<string, string> } }).process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const err = await installNodeGpu();
  return err ?? requestAdapter();
}

async function swiftShaderPresent(): Promise<boolean> {
  return (await importNodeOnly<typeof import('node:fs')>('node:fs')).existsSync(SWIFTSHADER_ICD);
}

export async function probeWebGpu(opts: ProbeOptions = {}): Promise<GpuProbe> {
  const adapter = runtime() === 'node' ? await nodeAdapter(opts) : await requestAdapter();
  if (typeof adapter === 'string') return { ok: false, reason: adapter };
  if (!adapter) {
    const hint = runtime() === 'node' && !opts.softwareFallback && (await swiftShaderPresent()) ? '; --backend webgpu uses the SwiftShader software driver' : '';
    return { ok: false, reason: `no WebGPU adapter was found (no usable GPU or driver${hint})` };
  }
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  const name = info ? [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') : '';
  const fallback = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  return {
    ok: true,
    reason: 'WebGPU adapter available',
    info: {
      adapterName: name || 'unknown adapter',
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      software: fallback || isSoftwareAdapter(name),
      maxBufferSize: adapter.limits.maxBufferSize,
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
      maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
      features: [...adapter.features],
    },
  };
}
