/** PEFT on an int4 base (peft-int4-suite.ts) on wasm. One file per backend: the backend is process-global. */
import { peftInt4Suite } from './peft-int4-suite';

peftInt4Suite('wasm');
