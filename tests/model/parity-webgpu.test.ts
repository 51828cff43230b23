/** HF parity suite (see parity-suite.ts) on the webgpu backend. One file per backend: the backend is process-global. */
import { paritySuite } from './parity-suite';

paritySuite('webgpu');
