/** LoRA logits / loss / gradient parity with PEFT (lora-suite.ts) on cpu. One file per backend: it is process-global. */
import { loraParitySuite } from './lora-suite';

loraParitySuite('cpu');
