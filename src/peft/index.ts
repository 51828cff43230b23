/**
 * The peft/ API in one import for the trainer, generate and the CLI: configs, attach, the forward and linear hook,
 * priming for decoding, merge / unmerge, and the PEFT adapter files. Each name lives in the file named after it.
 */
export * from './config';
export { type Adapter, type AdapterModule, type LoraModule, type Ia3Module, type AdaLoraModule, type AdapterForwardOptions, type AdapterForwardOutput, type HookOptions, adapterForward, adapterLinear, primeGeneration, trainableParams } from './adapter';
export { attachAdapter } from './attach';
export { attachLora, planLora, type AttachOptions } from './lora';
export { attachIa3 } from './ia3';
export { attachPromptTuning, type PromptAttachOptions } from './prompt';
export { attachPrefixTuning } from './prefix';
export { attachPTuning } from './p-tuning';
export { encoderParamCount } from './prompt-encoder';
export { attachAdaLora, orthRegularizer, withOrthRegularizer, DEFAULT_ADALORA_TARGETS } from './adalora';
export { RankAllocator, adaloraStepHook } from './adalora-allocate';
export { type LinearModule, targetMatches, selectModules, allLinearNames } from './targets';
export { MergeError, mergeAdapter, unmergeAdapter, mergeAndUnload, mergedHfWeights } from './merge';
export { AdapterFileError, type AdapterFiles, adapterTensors, saveAdapter, loadAdapter } from './adapter-io';
