/** Quantized weights (qtensor-suite.ts) on webgpu (Dawn; SwiftShader here: slow, so fewer shapes and specs). */
import { qtensorSuite } from './qtensor-suite';

qtensorSuite('webgpu', { small: true });
