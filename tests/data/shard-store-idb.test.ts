/** The ShardStore contract on IndexedDB (idb-keyval over fake-indexeddb in Node; the browser runs the real one). */
import 'fake-indexeddb/auto';
import { idbShardStore } from '../../src/data/store/idb-shard-store';
import { shardStoreContract } from './shard-store.contract';

let n = 0;
const names = new WeakMap<object, string>();
shardStoreContract('IndexedDB', {
  make: async () => {
    const db = `webift-shards-test-${n++}`; // a fresh database per test
    const s = idbShardStore(db);
    names.set(s, db);
    return s;
  },
  reopen: async (s) => idbShardStore(names.get(s)!),
});
