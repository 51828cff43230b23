/**
 * One door for creating an adapter from any PEFT config: dispatches on peft_type to attachLora (incl. DoRA),
 * attachIa3, attachPromptTuning, attachPrefixTuning, attachAdaLora. Fresh weights only; loading saved ones is adapter-io.ts.
 */
import type { Model } from '../model/types';
import type { PeftConfig } from './config';
import type { Adapter } from './adapter';
import { attachLora } from './lora';
import { attachIa3 } from './ia3';
import { attachPromptTuning, type PromptAttachOptions } from './prompt';
import { attachPrefixTuning } from './prefix';
import { attachPTuning } from './p-tuning';
import { attachAdaLora } from './adalora';

/** get_peft_model(model, config) for the four supported methods. */
export function attachAdapter(model: Model, config: PeftConfig, opts: PromptAttachOptions = {}): Adapter {
  switch (config.peft_type) {
    case 'LORA':
      return attachLora(model, config, opts);
    case 'IA3':
      return attachIa3(model, config, opts);
    case 'PROMPT_TUNING':
      return attachPromptTuning(model, config, opts);
    case 'PREFIX_TUNING':
      return attachPrefixTuning(model, config, opts);
    case 'P_TUNING':
      return attachPTuning(model, config, opts);
    case 'ADALORA':
      return attachAdaLora(model, config, opts);
  }
}
