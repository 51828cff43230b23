/** Quantized weights (qtensor-suite.ts) on wasm. One file per backend: the backend is process-global. */
import { qtensorSuite } from './qtensor-suite';

qtensorSuite('wasm');
