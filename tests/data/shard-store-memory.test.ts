/** The ShardStore contract on the in-memory store. */
import { memoryShardStore } from '../../src/data/store/memory-shard-store';
import { shardStoreContract } from './shard-store.contract';

shardStoreContract('memory', { make: async () => memoryShardStore() });
