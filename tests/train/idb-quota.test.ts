/**
 * A full quota on the IndexedDB checkpoint store, on the real fake-indexeddb with the commit aborted by a
 * QuotaExceededError (quota-idb.ts): the save rejects with the quota message, and the previous checkpoint is still
 * listed and loads back bit-for-bit; the store keeps working once space is free again.
 */
import { describe, expect, it } from 'vitest';
import { idbCheckpointStore } from '../../src/train/idb-checkpoint-store';
import type { Checkpoint } from '../../src/train/checkpoint';
import { quotaIdb } from './quota-idb';

const ckpt = (step: number): Checkpoint => ({
  meta: { step, note: 'x' },
  tensors: { 'param/a': { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6].map((v) => v * step + 0.25)) } },
});

describe('IndexedDB checkpoint store on a full quota', () => {
  it('rejects the save with a storage-quota message and keeps the previous checkpoint intact', async () => {
    const idb = quotaIdb();
    const store = idbCheckpointStore({ factory: idb.factory, dbName: 'quota-a' });
    await store.save('step-00000002', ckpt(2));
    idb.failNextPut();
    const err = await store.save('step-00000004', ckpt(4)).then(() => null, (e: Error) => e);
    expect(err?.name).toBe('QuotaExceededError');
    expect(err?.message).toBe("checkpoint 'step-00000004' does not fit in this browser's storage quota (the previous checkpoint is kept): free space or lower checkpointEvery/keepCheckpoints");
    expect(((err as Error & { cause?: DOMException }).cause)?.name).toBe('QuotaExceededError');
    expect(await store.list()).toEqual(['step-00000002']);
    expect(await store.load('step-00000002')).toEqual(ckpt(2));
    // Overwriting the SAME name under a full quota keeps the old record too (one transaction per record).
    idb.failNextPut();
    await expect(store.save('step-00000002', ckpt(9))).rejects.toThrow(/storage quota/);
    expect(await store.load('step-00000002')).toEqual(ckpt(2));
    // Space freed: the next save lands.
    await store.save('step-00000004', ckpt(4));
    expect(await store.list()).toEqual(['step-00000002', 'step-00000004']);
    expect(await store.load('step-00000004')).toEqual(ckpt(4));
  });
});
