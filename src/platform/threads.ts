/**
 * Threads for CPU kernels: whether this runtime can share memory between threads, how many hardware threads it
 * has, and a way to start one from a source string, in Node (worker_threads, eval) and in a browser or worker
 * (a module-less Blob worker). The kernels hand each thread a WebAssembly.Module and a shared Memory; the thread
 * then runs the loop in its source.
 *
 * Shared memory needs SharedArrayBuffer: always in Node, and in a browser only when the page is cross-origin
 * isolated (COOP/COEP headers; `npm start` and `vite preview` send them).
 */
import { envVar, importNodeOnly, runtime } from './env';

export interface ThreadHandle {
  terminate(): void;
}

/** Why threads cannot run here, or null when they can. */
export function sharedMemoryUnavailable(): string | null {
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean };
  if (typeof g.SharedArrayBuffer !== 'function') {
    return runtime() === 'node' ? 'SharedArrayBuffer is missing' : 'the page is not cross-origin isolated (no COOP/COEP headers)';
  }
  if (runtime() !== 'node' && g.crossOriginIsolated === false) return 'the page is not cross-origin isolated (no COOP/COEP headers)';
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch {
    return 'this engine has no shared WebAssembly memory';
  }
  return null;
}

/**
 * How many threads CPU kernels should use: WEBIFT_THREADS when set (1 turns threading off), else the hardware
 * count, at most 8 (beyond that the memory bandwidth of one socket is the limit for these sizes).
 */
export async function kernelThreadCount(): Promise<number> {
  const forced = Number(envVar('WEBIFT_THREADS'));
  if (Number.isInteger(forced) && forced >= 1) return forced;
  let n = 1;
  if (runtime() === 'node') {
    const os = await importNodeOnly<typeof import('node:os')>('node:os');
    n = os.availableParallelism?.() ?? os.cpus().length;
  } else {
    n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  }
  return Math.max(1, Math.min(8, n));
}

/**
 * Lets this engine compile relaxed SIMD (fused multiply-add) where it can: Chrome and Edge have it on; Node 20's V8
 * has it behind --experimental-wasm-relaxed-simd, a process-wide flag that may be set at run time, before the module
 * is compiled (worker threads share it). WEBIFT_FMA=0 declines it. Callers still validate their module.
 */
export async function allowRelaxedSimd(): Promise<boolean> {
  if (envVar('WEBIFT_FMA') === '0') return false;
  if (runtime() === 'node') {
    const v8 = await importNodeOnly<typeof import('node:v8')>('node:v8');
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  }
  return true;
}

/**
 * Starts a thread running `source` (plain JavaScript). The source receives its start data as the global
 * `threadData` in both runtimes: in Node through workerData, in a browser through the first message.
 */
export async function startThread(source: string, data: unknown): Promise<ThreadHandle> {
  if (runtime() === 'node') {
    const wt = await importNodeOnly<typeof import('node:worker_threads')>('node:worker_threads');
    const prologue = `globalThis.threadData = require('node:worker_threads').workerData;\n`;
    const w = new wt.Worker(prologue + source, { eval: true, workerData: data });
    w.unref();
    return { terminate: () => void w.terminate() };
  }
  const prologue = `self.onmessage = (e) => { self.onmessage = null; globalThis.threadData = e.data; main(); };\nfunction main() {\n`;
  const url = URL.createObjectURL(new Blob([prologue + source + '\n}'], { type: 'text/javascript' }));
  const w = new Worker(url); // the URL stays valid for the page's life: a few hundred bytes
  w.postMessage(data);
  return { terminate: () => w.terminate() };
}
