/**
 * CheckpointStore on IndexedDB (raw API; the shape of idb-keyval's get/set/del/keys without the dependency).
 * A checkpoint is ONE record (meta as JSON text + Float32Arrays) written in ONE readwrite transaction, so a write
 * that fails (QuotaExceededError) aborts the transaction and the previous record of that name survives.
 * Not handled: records above the browser's per-value limits (use a smaller model or LoRA), cross-tab locking.
 */
import { indexedDbFactory } from '../platform/env';
import { checkCheckpoint, checkCheckpointName, type Checkpoint, type CheckpointStore, type StoredTensor } from './checkpoint';

const STORE = 'checkpoints';

interface Rec {
  meta: string;
  tensors: Record<string, StoredTensor>;
}

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

/** Resolves when the transaction commits; rejects with the error that aborted it. */
function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    // A request's error bubbles here before the abort sets tx.error: take the request's (e.g. QuotaExceededError).
    tx.onerror = (ev) => reject(tx.error ?? (ev?.target as IDBRequest | null)?.error ?? new Error('IndexedDB transaction failed'));
  });
}

/** The error a save that hit the storage quota throws: it names the quota and says the previous checkpoint is kept. */
export function quotaExceeded(name: string, cause: unknown): Error {
  const err = new Error(`checkpoint '${name}' does not fit in this browser's storage quota (the previous checkpoint is kept): free space or lower checkpointEvery/keepCheckpoints`, { cause });
  err.name = 'QuotaExceededError';
  return err;
}

export interface IdbStoreOptions {
  /** Default: the environment's indexedDB (platform/env.ts). Tests pass a fake. */
  factory?: IDBFactory | null;
  /** e.g. 'webift-checkpoints' (the default); one database per store. */
  dbName?: string;
}

export function idbCheckpointStore(opts: IdbStoreOptions = {}): CheckpointStore {
  const factory = opts.factory === undefined ? indexedDbFactory() : opts.factory;
  const dbName = opts.dbName ?? 'webift-checkpoints';
  let opening: Promise<IDBDatabase> | null = null;
  const db = (): Promise<IDBDatabase> => {
    if (!factory) return Promise.reject(new Error('IndexedDB is not available here: checkpoints need a browser or worker with storage'));
    opening ??= new Promise<IDBDatabase>((resolve, reject) => {
      const r = factory.open(dbName, 1);
      r.onupgradeneeded = () => {
        if (!r.result.objectStoreNames.contains(STORE)) r.result.createObjectStore(STORE);
      };
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error ?? new Error(`cannot open IndexedDB '${dbName}'`));
      r.onblocked = () => reject(new Error(`IndexedDB '${dbName}' is blocked by another tab holding an older version`));
    }).catch((e) => {
      opening = null;
      throw e;
    });
    return opening;
  };

  return {
    async save(name, ckpt) {
      checkCheckpoint(name, ckpt);
      // Structured clone copies a view's WHOLE buffer: store compact arrays only.
      const tensors: Record<string, StoredTensor> = {};
      for (const [k, t] of Object.entries(ckpt.tensors)) {
        const compact = t.data.byteOffset === 0 && t.data.byteLength === t.data.buffer.byteLength;
        tensors[k] = { shape: [...t.shape], data: compact ? t.data : t.data.slice() };
      }
      const rec: Rec = { meta: JSON.stringify(ckpt.meta), tensors };
      const tx = (await db()).transaction(STORE, 'readwrite');
      const committed = done(tx);
      tx.objectStore(STORE).put(rec, name);
      try {
        await committed;
      } catch (e) {
        if ((e as DOMException)?.name === 'QuotaExceededError') throw quotaExceeded(name, e);
        throw e;
      }
    },
    async load(name) {
      checkCheckpointName(name);
      const tx = (await db()).transaction(STORE, 'readonly');
      const rec = (await req(tx.objectStore(STORE).get(name))) as Rec | undefined;
      if (!rec) return null;
      // The record is already a fresh structured clone: no second copy.
      return { meta: JSON.parse(rec.meta) as Checkpoint['meta'], tensors: rec.tensors };
    },
    async list() {
      const tx = (await db()).transaction(STORE, 'readonly');
      const keys = await req(tx.objectStore(STORE).getAllKeys());
      return keys.map(String).sort();
    },
    async delete(name) {
      checkCheckpointName(name);
      const tx = (await db()).transaction(STORE, 'readwrite');
      const committed = done(tx);
      tx.objectStore(STORE).delete(name);
      await committed;
    },
  };
}
