/**
 * A webift run (train flags -> PEFT config + TrainConfig) as LLaMA-Factory's training YAML: `stage: sft` with the
 * same model, template, LoRA settings and optimiser settings, every key an argument name of LLaMA-Factory's hparams
 * (model_args, data_args, finetuning_args, training_args) or of HF TrainingArguments. Plus the DeepSpeed variant and
 * its ZeRO-2 config (DeepSpeed's documented keys, "auto" where HF fills them in). Methods LLaMA-Factory cannot express
 * (IA3, prompt, prefix and p-tuning, AdaLoRA; its finetuning_type is lora, oft, freeze or full) are one clear error.
 */
import type { LoraConfig, PeftConfig } from '../../peft';
import type { TrainConfig } from '../../train/config';
import { effectiveWarmup, totalSteps } from '../../train/schedule';
import type { YamlLine, YamlScalar } from './yaml';

export class MethodNotExportable extends Error {
  override name = 'MethodNotExportable';
}

export interface RunSpec {
  /** A hub repo id or an absolute folder path. */
  modelNameOrPath: string;
  /** Hub revision (model_revision), when the model came as owner/name@rev. */
  revision?: string;
  peft: PeftConfig | null;
  config: TrainConfig;
  template: string;
  datasets: string[];
  /** Records exported (repeats counted): sizes the held-out split as `webift train` would. */
  records: number;
  quantizeBits: 4 | 8 | null;
  packing: boolean;
  trainOnInputs: boolean;
  outputDir: string;
}

export const DEEPSPEED_CONFIG = 'ds_z2_config.json';

/** webift scheduler -> HF lr_scheduler_type ('constant' in webift has warmup, as HF's constant_with_warmup). */
const SCHEDULERS: Record<TrainConfig['scheduler'], string> = { cosine: 'cosine', linear: 'linear', constant: 'constant_with_warmup' };

/** webift's held-out split (commands/train.ts): a fraction as is; a count capped at a tenth of the records. */
export function valSize(c: TrainConfig, records: number): number {
  if (c.evalSplit <= 0 || records <= 1) return 0;
  return c.evalSplit < 1 ? c.evalSplit : Math.min(c.evalSplit, Math.floor(records / 10));
}

/**
 * webift caps warmup at ceil(warmupMaxFraction * total steps) (schedule.ts); HF does not, so the YAML gets the capped
 * count. With max_steps it is exact; with epochs the total assumes one device (more GPUs mean fewer steps).
 */
export function warmupSteps(c: TrainConfig, records: number): number {
  const val = valSize(c, records);
  const train = records - (val < 1 ? Math.round(val * records) : val);
  const micro = Math.ceil(Math.max(1, train) / c.batchSize);
  return effectiveWarmup(c, totalSteps(c, micro));
}

function method(peft: PeftConfig | null): YamlLine[] {
  if (!peft) return [{ key: 'finetuning_type', value: 'full' }];
  if (peft.peft_type !== 'LORA') {
    const names: Record<string, string> = { IA3: 'IA3', PROMPT_TUNING: 'prompt tuning', PREFIX_TUNING: 'prefix tuning', P_TUNING: 'p-tuning', ADALORA: 'AdaLoRA' };
    const what = names[peft.peft_type] ?? peft.peft_type;
    throw new MethodNotExportable(`LLaMA-Factory cannot train ${what} (its finetuning_type is lora, oft, freeze or full): use --peft lora, dora or full, or train it with webift`);
  }
  const c = peft as LoraConfig;
  const target = typeof c.target_modules === 'string' ? (c.target_modules === 'all-linear' ? 'all' : null) : (c.target_modules ?? []).join(',');
  if (target === null) throw new MethodNotExportable(`LLaMA-Factory's lora_target takes module names or 'all', not the regex '${c.target_modules}'`);
  const lines: YamlLine[] = [
    { key: 'finetuning_type', value: 'lora' },
    { key: 'lora_rank', value: c.r },
    { key: 'lora_alpha', value: c.lora_alpha },
    { key: 'lora_dropout', value: c.lora_dropout },
    { key: 'lora_target', value: target },
  ];
  if (c.use_rslora) lines.push({ key: 'use_rslora', value: true });
  if (c.use_dora) lines.push({ key: 'use_dora', value: true });
  return lines;
}

const kv = (key: string, value: YamlScalar): YamlLine => ({ key, value });

/** The training YAML's lines; `deepspeed` adds the DeepSpeed config path. */
export function trainYaml(r: RunSpec, opts: { deepspeed?: string } = {}): YamlLine[] {
  const c = r.config;
  const val = valSize(c, r.records);
  const lines: YamlLine[] = [
    { comment: 'written by webift export --format llamafactory; run from this folder: llamafactory-cli train <this file>' },
    { comment: '## model' },
    kv('model_name_or_path', r.modelNameOrPath),
    ...(r.revision ? [kv('model_revision', r.revision)] : []),
    ...(r.quantizeBits ? [kv('quantization_bit', r.quantizeBits)] : []),
    { comment: '' },
    { comment: '## method' },
    kv('stage', 'sft'),
    kv('do_train', true),
    ...method(r.peft),
    ...(opts.deepspeed ? [kv('deepspeed', opts.deepspeed)] : []),
    { comment: '' },
    { comment: '## dataset' },
    kv('dataset', r.datasets.join(',')),
    kv('dataset_dir', '.'),
    kv('template', r.template),
    kv('cutoff_len', c.cutoffLen),
    ...(r.packing ? [kv('packing', true)] : []),
    ...(r.trainOnInputs ? [kv('train_on_prompt', true)] : []),
    { comment: '' },
    { comment: '## output' },
    kv('output_dir', r.outputDir),
    kv('logging_steps', 1),
    ...(c.checkpointEvery > 0 ? [kv('save_steps', c.checkpointEvery), kv('save_total_limit', c.keepCheckpoints)] : [kv('save_strategy', 'no')]),
    kv('plot_loss', true),
    kv('overwrite_output_dir', true),
    kv('report_to', 'none'),
    kv('include_num_input_tokens_seen', true),
    { comment: '' },
    { comment: '## train' },
    kv('per_device_train_batch_size', c.batchSize),
    kv('gradient_accumulation_steps', c.gradAccum),
    kv('learning_rate', c.lr),
    ...(c.maxSteps !== null ? [kv('max_steps', c.maxSteps)] : [kv('num_train_epochs', c.epochs)]),
    kv('lr_scheduler_type', SCHEDULERS[c.scheduler]),
    kv('warmup_steps', warmupSteps(c, r.records)),
    kv('weight_decay', c.weightDecay),
    kv('adam_beta1', c.adamBetas[0]),
    kv('adam_beta2', c.adamBetas[1]),
    kv('adam_epsilon', c.adamEps),
    kv('max_grad_norm', c.maxGradNorm),
    kv('seed', c.seed),
    kv('bf16', true),
  ];
  if (val > 0) {
    lines.push({ comment: '' }, { comment: '## eval' }, kv('val_size', val), kv('per_device_eval_batch_size', c.batchSize), kv('do_eval', true));
    if (c.evalEvery > 0) lines.push(kv('eval_strategy', 'steps'), kv('eval_steps', c.evalEvery));
  }
  return lines;
}

/** ZeRO stage 2 (optimizer state and gradients sharded); "auto" lets HF's integration fill in its own values. */
export function deepspeedConfig(): Record<string, unknown> {
  return {
    train_batch_size: 'auto',
    train_micro_batch_size_per_gpu: 'auto',
    gradient_accumulation_steps: 'auto',
    gradient_clipping: 'auto',
    zero_allow_untested_optimizer: true,
    bf16: { enabled: 'auto' },
    zero_optimization: { stage: 2, overlap_comm: false, contiguous_gradients: true, reduce_scatter: true },
  };
}
