/** Greedy generation parity with HF on the wasm backend (tokens; step logits too, they are cheap here). */
import { paritySuite } from './parity-suite';

paritySuite('wasm', true);
