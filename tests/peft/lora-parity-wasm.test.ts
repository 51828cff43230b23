/** LoRA logits / loss / gradient parity with PEFT (lora-suite.ts) on wasm, where gather has no gradient (pitfall 2). */
import { loraParitySuite } from './lora-suite';

loraParitySuite('wasm');
