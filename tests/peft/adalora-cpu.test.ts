/** AdaLoRA parity with PEFT (adalora-suite.ts) on cpu. */
import { adaloraSuite } from './adalora-suite';

adaloraSuite('cpu');
