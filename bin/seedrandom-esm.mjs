// seedrandom as tfjs's ESM build imports it (`import * as seedrandom` then `seedrandom.alea(...)`): Node's CJS
// interop only exposes `default` for this package, so re-export its generators by name.
import sr from 'seedrandom';

export const { alea, xor128, xorwow, xorshift7, xor4096, tychei } = sr;
export default sr;
