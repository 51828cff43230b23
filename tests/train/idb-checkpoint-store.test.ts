/**
 * The IndexedDB CheckpointStore against the shared contract, on an in-memory fake of the IndexedDB API
 * (fake-indexeddb.ts; the real package is not installed). This checks our use of requests and transactions,
 * including that a QuotaExceededError abort keeps the previous record; it does not exercise a browser's IndexedDB.
 */
import { expect, it } from 'vitest';
import { idbCheckpointStore } from '../../src/train/idb-checkpoint-store';
import { checkpointStoreContract } from './checkpoint-store.contract';
import { FakeIndexedDb } from './fake-indexeddb';

checkpointStoreContract('IndexedDB (fake)', async () => {
  const idb = new FakeIndexedDb();
  return { store: idbCheckpointStore({ factory: idb.asFactory(), dbName: 'test' }), failNextWrite: () => idb.failNextCommit() };
});

it('explains a quota failure, and says where IndexedDB is missing', async () => {
  const idb = new FakeIndexedDb();
  const store = idbCheckpointStore({ factory: idb.asFactory() });
  idb.failNextCommit();
  await expect(store.save('ck', { meta: {}, tensors: {} })).rejects.toThrow(/does not fit in this browser's storage quota \(the previous checkpoint is kept\)/);
  await expect(idbCheckpointStore({ factory: null }).list()).rejects.toThrow(/IndexedDB is not available here/);
});
