/**
 * The flags `webift train` and `webift export --format llamafactory` add for LLaMA-Factory: which engine trains,
 * and which LLaMA-Factory template renders the prompts (templates.ts). Part of TRAIN_FLAGS, so --config takes them.
 */
import type { FlagSpec } from '../args';

export const ENGINES = ['webift', 'llamafactory'] as const;

export const ENGINE_FLAGS: FlagSpec = {
  engine: { type: 'string', value: ENGINES.join('|'), default: 'webift', help: 'who trains: webift, or an installed LLaMA-Factory (llamafactory-cli on PATH) whose adapter comes back to OUT/adapter' },
  template: { type: 'string', value: 'auto|alpaca|chat|<name>', default: 'auto', help: 'LLaMA-Factory prompt template: auto = alpaca for instruction records, the chat template for messages; or a LLaMA-Factory template name' },
};
