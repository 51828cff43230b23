/**
 * Backend choice: webgpu first, then wasm, then cpu, and always the reason for the choice.
 * The tfjs backends are imported dynamically so that Dawn's navigator.gpu is in place before the webgpu backend loads.
 * tfjs-wasm's own threads stay off (they hang in minified bundles; see ENVIRONMENT.md): the matmuls run on threads of
 * our own (kernels/gemm), which report through addBackendSetup. Not handled: tfjs-node.
 */
import * as tf from '@tensorflow/tfjs-core';
import { envVar, importNodeOnly, runtime, userAgent } from './env';
import { registerWebGpuBackend } from './gpu-device';
import { probeWebGpu, type GpuInfo } from './webgpu';

export type BackendName = 'webgpu' | 'wasm' | 'cpu';

export interface BackendChoice {
  name: BackendName;
  /** One sentence: why this backend, and why not the ones before it. */
  reason: string;
  gpu?: GpuInfo;
  /** Largest single buffer this backend can hold, in bytes. */
  maxBufferBytes: number;
  /** True when we know this setup is slow (software WebGPU, cpu backend). */
  slow: boolean;
  /** Threads the CPU kernels run on (wasm): 1 when they run single-threaded. */
  cpuThreads?: number;
}

/**
 * A backend setup step that kernels/ registers (platform/ does not import kernels/): it runs after its backend is
 * chosen and returns a note for the backend line ("2 threads"), or null. Registered after initBackend already ran,
 * it runs at once for the current backend.
 */
type BackendSetup = (choice: BackendChoice) => Promise<string | null>;
const setups: { backend: BackendName; run: BackendSetup }[] = [];

export function addBackendSetup(backend: BackendName, run: BackendSetup): void {
  setups.push({ backend, run });
  if (current?.name === backend) void applySetup(current, run);
}

async function applySetup(choice: BackendChoice, run: BackendSetup): Promise<void> {
  const note = await run(choice).catch((e: Error) => `threads off: ${e.message}`);
  // Appended, so the line still starts as UX.md words it: "CPU (wasm): WebGPU not available because … · 2 threads".
  if (note) choice.reason = `${choice.reason} · ${note}`;
}

export interface BackendOptions {
  /** Order to try; default ['webgpu', 'wasm', 'cpu']. A single entry forces that backend (or throws). */
  prefer?: BackendName[];
  /** URL prefix or file map for the wasm binaries (the browser build passes Vite `?url` imports). */
  wasmPaths?: string | Record<string, string>;
}

let current: BackendChoice | null = null;

/** The chosen backend, or null before initBackend. */
export function currentBackend(): BackendChoice | null {
  return current;
}

/** tfjs-backend-webgpu's MatMulProgramType.MatMulPackedProgram (webgpu_util.ts). */
const MATMUL_PACKED = 3;

/** 'SwiftShader' rather than 'google swiftshader swiftshader-device-subzero- SwiftShader driver 5.0.0'. */
function shortName(info: GpuInfo): string {
  const known = /swiftshader|lavapipe|llvmpipe/i.exec(info.adapterName)?.[0].toLowerCase();
  return known === 'swiftshader' ? 'SwiftShader' : known ?? info.adapterName;
}

/**
 * `software`: whether a software adapter may be used. In Node it is not by default: SwiftShader trains ~50x slower
 * than wasm (ENVIRONMENT.md). The browser keeps its own choice of adapter.
 */
async function tryWebGpu(software: boolean): Promise<BackendChoice | string> {
  const probe = await probeWebGpu({ softwareFallback: software });
  if (!probe.ok || !probe.info) return probe.reason;
  const info = probe.info;
  if (info.software && !software && runtime() === 'node') {
    return `WebGPU adapter is ${shortName(info)}, a software rasteriser (slower than the CPU here); --backend webgpu forces it`;
  }
  const mod = await import('@tensorflow/tfjs-backend-webgpu');
  registerWebGpuBackend(mod.WebGPUBackend);
  // For outputs with few 32x32 tiles tfjs picks matmul programs built on workgroup reductions, which a CPU emulation
  // runs 10-100x slower than its general tiled one (SwiftShader: 240 ms vs 2.5 ms for a 4x32 @ 32x32 product).
  if (info.software) tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', MATMUL_PACKED);
  const ok = await tf.setBackend('webgpu').catch(() => false);
  if (!ok) return 'the tfjs WebGPU backend failed to initialise on this adapter';
  return {
    name: 'webgpu',
    reason: `WebGPU: ${info.adapterName}${info.software ? ' (a software rasteriser: correct but slow)' : ''}`,
    gpu: info,
    maxBufferBytes: info.maxBufferSize,
    slow: info.software,
  };
}

/**
 * tfjs-backend-wasm's Identity kernel copies its input, and the gradient tape saves every tensor it keeps for the
 * backward through Identity (engine.clone): on wasm each save was a full copy (113 MB per step for SmolLM2's
 * embedding alone). Tensors are immutable, so the clone can share the buffer, as the cpu backend's Identity does.
 */
function shareIdentityOnWasm(): void {
  if (tf.getKernel('Identity', 'wasm')) tf.unregisterKernel('Identity', 'wasm'); // re-registering would warn
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: (({ inputs, backend }: { inputs: { x: tf.TensorInfo }; backend: { incRef(id: unknown): void } }) => {
      backend.incRef(inputs.x.dataId);
      return { dataId: inputs.x.dataId, shape: inputs.x.shape, dtype: inputs.x.dtype };
    }) as unknown as tf.KernelFunc,
  });
}

async function tryWasm(opts: BackendOptions): Promise<BackendChoice | string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (opts.wasmPaths) wasm.setWasmPaths(opts.wasmPaths as string);
  else if (runtime() === 'node') {
    const { createRequire } = await importNodeOnly<typeof import('node:module')>('node:module');
    const req = createRequire(import.meta.url);
    const dir = req.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm').replace(/[^/\\]+$/, '');
    wasm.setWasmPaths(dir);
  }
  // Threaded wasm hangs in minified bundles and needs cross-origin isolation; single-threaded SIMD is reliable.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const ok = await tf.setBackend('wasm').catch(() => false);
  if (!ok) return 'the wasm backend failed to initialise';
  shareIdentityOnWasm();
  // The wasm heap tops out at 2-4 GB; keep single tensors well under that.
  return { name: 'wasm', reason: 'CPU (wasm)', maxBufferBytes: 1 << 30, slow: false };
}

async function tryCpu(): Promise<BackendChoice | string> {
  await import('@tensorflow/tfjs-backend-cpu');
  const ok = await tf.setBackend('cpu').catch(() => false);
  if (!ok) return 'the cpu backend failed to initialise';
  return { name: 'cpu', reason: 'CPU (plain JavaScript)', maxBufferBytes: 1 << 30, slow: true };
}

/**
 * Picks and initialises a backend. `WEBIFT_BACKEND` (Node) overrides the order with a single backend. A forced
 * 'webgpu' (or WEBIFT_SOFTWARE_GPU=1, which the tests set) accepts a software adapter, and in Node with no other
 * adapter it finds Chromium's SwiftShader. Throws only if every candidate fails, with each reason.
 */
export async function initBackend(opts: BackendOptions = {}): Promise<BackendChoice> {
  // PROD silences tfjs's console nags (e.g. "install tfjs-node"), which would pollute CLI output.
  tf.env().set('PROD', true);
  const forced = envVar('WEBIFT_BACKEND') as BackendName | undefined;
  const order = opts.prefer ?? (forced ? [forced] : ['webgpu', 'wasm', 'cpu']);
  const software = (order.length === 1 && order[0] === 'webgpu') || envVar('WEBIFT_SOFTWARE_GPU') === '1';
  const why: string[] = [];
  for (const name of order) {
    const r = name === 'webgpu' ? await tryWebGpu(software) : name === 'wasm' ? await tryWasm(opts) : name === 'cpu' ? await tryCpu() : `unknown backend '${name}'`;
    if (typeof r === 'string') {
      why.push(name === 'webgpu' && r.startsWith('WebGPU ') ? r : `${name}: ${r}`);
      continue;
    }
    await tf.ready();
    // "CPU (wasm): WebGPU not available because …": the one line the app header and the CLI show.
    if (why.length) r.reason = `${r.reason}: ${why.map((w) => w.replace(/^webgpu:/, 'WebGPU not available because')).join('; ')}`;
    for (const setup of setups) if (setup.backend === r.name) await applySetup(r, setup.run);
    current = r;
    return r;
  }
  throw new Error(`no backend could start (${why.join('; ')})`);
}

/** True for browsers known to run WebGPU compute poorly (e.g. Firefox before its WebGPU release). */
export function knownSlowBrowser(): boolean {
  return /Firefox\/(\d+)/.test(userAgent()) && Number(/Firefox\/(\d+)/.exec(userAgent())?.[1] ?? 0) < 141;
}
