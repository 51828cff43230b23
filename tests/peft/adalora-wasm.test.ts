/** AdaLoRA parity with PEFT (adalora-suite.ts) on wasm: the allocation's 1.3 % score margin must survive wasm's gradients too. */
import { adaloraSuite } from './adalora-suite';

adaloraSuite('wasm');
