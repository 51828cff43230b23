/** Prompt tuning, prefix tuning and IA3 parity with PEFT (prompt-prefix-ia3-suite.ts) on cpu. */
import { promptPrefixIa3Suite } from './prompt-prefix-ia3-suite';

promptPrefixIa3Suite('cpu');
