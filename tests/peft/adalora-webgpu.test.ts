/** AdaLoRA outputs, gradients and allocation against PEFT (adalora-suite.ts) on webgpu (Dawn; SwiftShader on CI: slow but exact). */
import { adaloraSuite } from './adalora-suite';

adaloraSuite('webgpu', { core: true });
