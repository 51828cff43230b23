/**
 * The generate worker entry: picks the compute backend and serves the generate API (src/protocol/generate-api.ts):
 * chat replies with the base model or adapters sent as PEFT bytes, beside the session worker that trains. Wiring
 * only; logic is in src/worker-handlers/generate-*.ts. The wasm binaries are Vite `?url` assets.
 */
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { initBackend } from '../src/platform/backend';
import { serveHandlers } from '../src/protocol/serve';
import type { GenerateApi } from '../src/protocol/generate-api';
import type { Endpoint } from '../src/protocol/wire';
import { createGenerateHandlers } from '../src/worker-handlers/generate-handlers';

const backend = initBackend({
  wasmPaths: { 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded },
});
backend.catch(() => undefined); // reported through the `backend` method

serveHandlers<GenerateApi>(self as unknown as Endpoint, createGenerateHandlers(backend));
