/** PEFT on an int4 base (peft-int4-suite.ts) on webgpu (Dawn; SwiftShader here). */
import { peftInt4Suite } from './peft-int4-suite';

peftInt4Suite('webgpu');
