/** The in-memory CheckpointStore against the shared contract. */
import { memoryCheckpointStore } from '../../src/train/checkpoint';
import { checkpointStoreContract } from './checkpoint-store.contract';

checkpointStoreContract('memory', async () => ({ store: memoryCheckpointStore() }));
