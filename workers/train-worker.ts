/**
 * The session worker entry: picks the compute backend and serves the train API (src/protocol/train-api.ts):
 * model, data, training with IndexedDB checkpoints, generation and export. Wiring only; logic is in
 * src/worker-handlers/. The wasm binaries are Vite `?url` assets, served by the production build itself.
 */
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { initBackend } from '../src/platform/backend';
import { serveHandlers } from '../src/protocol/serve';
import type { TrainApi } from '../src/protocol/train-api';
import type { Endpoint } from '../src/protocol/wire';
import { createTrainHandlers } from '../src/worker-handlers/train-handlers';
import { TEST_FAULTS_FLAG, testFaults } from '../src/worker-handlers/test-faults';

const backend = initBackend({
  wasmPaths: { 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded },
});
backend.catch(() => undefined); // reported through the `backend` method

// Fault injection only for a worker the page started for tests (its name carries the flag; see test-faults.ts).
const faults = testFaults((self as unknown as { name?: string }).name?.includes(TEST_FAULTS_FLAG) ?? false);
serveHandlers<TrainApi>(self as unknown as Endpoint, createTrainHandlers(backend, undefined, faults));
