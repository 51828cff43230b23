/**
 * Where are we running? The ONLY module that reads environment globals (process, window, navigator, self).
 * Everything else asks platform/. Not handled: Deno and Bun are treated as Node if they expose `process.versions.node`.
 */

export type Runtime = 'node' | 'browser' | 'worker';

export function runtime(): Runtime {
  const g = globalThis as Record<string, unknown>;
  const proc = g.process as { versions?: { node?: string } } | undefined;
  if (proc?.versions?.node) return 'node';
  if (typeof g.window === 'undefined' && typeof g.importScripts === 'function') return 'worker';
  if (typeof g.window === 'undefined' && typeof g.WorkerGlobalScope !== 'undefined') return 'worker';
  return 'browser';
}

/** Reads an environment variable in Node; undefined in the browser. */
export function envVar(name: string): string | undefined {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> } };
  return g.process?.env?.[name];
}

/** The user agent string ('' in Node). */
export function userAgent(): string {
  const nav = (globalThis as { navigator?: { userAgent?: string } }).navigator;
  return nav?.userAgent ?? '';
}

/** Hardware concurrency, for thread counts and messages. */
export function cpuCount(): number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency ?? 1;
}

/**
 * Imports a Node-only module (node:*, the Dawn `webgpu` package) in a way bundlers do not follow, so the browser
 * build never contains them. Call only when runtime() === 'node'.
 */
export function importNodeOnly<T>(specifier: string): Promise<T> {
  return import(/* @vite-ignore */ specifier) as Promise<T>;
}

/** The Cache API (browser, worker), or null where there is none (Node, insecure contexts). */
export function cacheStorage(): CacheStorage | null {
  return (globalThis as { caches?: CacheStorage }).caches ?? null;
}

/** IndexedDB (browser, worker), or null where there is none (Node without a polyfill). */
export function indexedDbFactory(): IDBFactory | null {
  return (globalThis as { indexedDB?: IDBFactory }).indexedDB ?? null;
}

/** What the storage has room for: `quota - usage` bytes may still be written. */
export interface StorageEstimate {
  /** Bytes already used (browser: by this origin; Node: 0, the disk's free space is the whole budget). */
  usage: number;
  /** Bytes allowed in all (browser: the origin's quota; Node: free bytes on the disk holding `dir`). */
  quota: number;
}

/**
 * The storage budget: navigator.storage.estimate() in a browser or worker, the free disk space under `dir` in Node
 * (node:fs statfs, available to unprivileged users), or null where neither can be asked.
 */
export async function storageQuota(dir = '.'): Promise<StorageEstimate | null> {
  const storage = (globalThis as { navigator?: { storage?: { estimate?: () => Promise<{ usage?: number; quota?: number }> } } }).navigator?.storage;
  if (runtime() !== 'node') {
    if (!storage?.estimate) return null;
    const e = await storage.estimate();
    return e.quota === undefined ? null : { usage: e.usage ?? 0, quota: e.quota };
  }
  const fs = await importNodeOnly<{ promises: { statfs?: (p: string) => Promise<{ bavail: number; bsize: number }> } }>('node:fs');
  if (!fs.promises.statfs) return null;
  const s = await fs.promises.statfs(dir).catch(() => null);
  return s ? { usage: 0, quota: s.bavail * s.bsize } : null;
}

/** Web Crypto's SubtleCrypto (browser, worker, Node >= 19), or null (insecure browser contexts). */
export function subtleCrypto(): SubtleCrypto | null {
  return (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle ?? null;
}
