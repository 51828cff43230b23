/**
 * The eval worker entry: picks the compute backend and serves the eval API (src/protocol/eval-api.ts): benchmarks,
 * batch prediction and the pairwise judge on its own copy of the session's model, beside the session worker, so an
 * evaluation never stalls training or chat. Wiring only; logic is in src/worker-handlers/eval-*.ts.
 */
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { initBackend } from '../src/platform/backend';
import { serveHandlers } from '../src/protocol/serve';
import type { EvalApi } from '../src/protocol/eval-api';
import type { Endpoint } from '../src/protocol/wire';
import { createEvalHandlers } from '../src/worker-handlers/eval-handlers';

const backend = initBackend({
  wasmPaths: { 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded },
});
backend.catch(() => undefined); // reported through the `backend` method

serveHandlers<EvalApi>(self as unknown as Endpoint, createEvalHandlers(backend));
