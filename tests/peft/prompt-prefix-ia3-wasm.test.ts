/** The same on wasm, where gather has no gradient: prompt tuning must keep the token lookup off the gradient path. */
import { promptPrefixIa3Suite } from './prompt-prefix-ia3-suite';

promptPrefixIa3Suite('wasm');
