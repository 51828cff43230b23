/** LoRA logits / loss / gradient parity with PEFT (lora-suite.ts) on webgpu (Dawn; SwiftShader on CI: slow but exact). */
import { loraParitySuite } from './lora-suite';

loraParitySuite('webgpu');
