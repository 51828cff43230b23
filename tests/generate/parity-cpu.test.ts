/** Greedy generation parity with HF on the cpu backend, step logits included (see parity-suite.ts). */
import { paritySuite } from './parity-suite';

paritySuite('cpu', true);
