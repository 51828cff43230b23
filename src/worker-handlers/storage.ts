/**
 * The Storage screen's view of what this origin keeps: training checkpoints and the run record (IndexedDB), model
 * and data files downloaded from the hub (Cache API 'webift-hub'), with sizes, the quota, and delete.
 * Sizes of checkpoints are their tensor bytes plus meta; hub files are the cached response sizes.
 */
import { cacheStorage, storageQuota } from '../platform/env';
import type { CheckpointStore } from '../train/checkpoint';
import type { StorageItem, StorageReport } from '../protocol/train-api';
import { RUN_RECORD } from './train-run';

const HUB_CACHE = 'webift-hub';

export async function storageReport(store: CheckpointStore): Promise<StorageReport> {
  const items: StorageItem[] = [];
  for (const name of await store.list().catch(() => [] as string[])) {
    const c = await store.load(name);
    if (!c) continue;
    let bytes = JSON.stringify(c.meta).length;
    for (const t of Object.values(c.tensors)) bytes += t.data.byteLength;
    items.push({ kind: name === RUN_RECORD ? 'run' : 'checkpoint', name, bytes });
  }
  const caches = cacheStorage();
  if (caches && (await caches.has(HUB_CACHE))) {
    const cache = await caches.open(HUB_CACHE);
    for (const req of await cache.keys()) {
      const res = await cache.match(req);
      const len = Number(res?.headers.get('content-length'));
      const bytes = Number.isFinite(len) && len > 0 ? len : res ? (await res.arrayBuffer()).byteLength : 0;
      items.push({ kind: 'hub-file', name: req.url, bytes });
    }
  }
  const est = await storageQuota().catch(() => null);
  return { items, usageBytes: est?.usage ?? null, quotaBytes: est?.quota ?? null };
}

/** Deletes one item, or every item of a kind, or everything ('all'); resolves to how many were removed. */
export async function deleteStorage(store: CheckpointStore, p: { kind: StorageItem['kind'] | 'all'; name?: string }): Promise<number> {
  let n = 0;
  if (p.kind !== 'hub-file') {
    for (const name of await store.list().catch(() => [] as string[])) {
      const kind = name === RUN_RECORD ? 'run' : 'checkpoint';
      if ((p.kind === 'all' || p.kind === kind) && (p.name === undefined || p.name === name)) {
        await store.delete(name);
        n++;
      }
    }
  }
  const caches = cacheStorage();
  if ((p.kind === 'hub-file' || p.kind === 'all') && caches) {
    if (p.name === undefined) n += (await caches.delete(HUB_CACHE)) ? 1 : 0;
    else n += (await (await caches.open(HUB_CACHE)).delete(p.name)) ? 1 : 0;
  }
  return n;
}
