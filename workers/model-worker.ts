/**
 * The model worker entry: picks the compute backend (WebGPU, else wasm, else cpu) and serves the model API
 * (src/protocol/model-api.ts) with the handlers in src/worker-handlers/. Wiring only: no logic lives here.
 * The wasm binaries are Vite `?url` assets, so the production build serves them from its own origin.
 */
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { initBackend } from '../src/platform/backend';
import { serveHandlers } from '../src/protocol/serve';
import type { ModelApi } from '../src/protocol/model-api';
import type { Endpoint } from '../src/protocol/wire';
import { createModelHandlers } from '../src/worker-handlers/model-handlers';

const wasmPaths = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
};

const backend = initBackend({ wasmPaths });
backend.catch(() => undefined); // reported to callers through the `backend` method, not as an unhandled rejection

serveHandlers<ModelApi>(self as unknown as Endpoint, createModelHandlers(backend));
