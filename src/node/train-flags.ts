/**
 * `webift train` flags and `--config experiment.json`: one flat set of options (the flag names, kebab-case; the
 * config file may use the same names or camelCase), mapped to a PEFT config and a TrainConfig. Flags win over the
 * file. Unknown keys in the file are refused, so a typo never silently trains with a default.
 */
import { readFileSync } from 'node:fs';
import { loraConfig, ia3Config, adaLoraConfig, promptTuningConfig, prefixTuningConfig, pTuningConfig, type PeftConfig } from '../peft';
import { FAMILIES, hfModelType, type Family } from '../model/config';
import { DEFAULT_TRAIN_CONFIG, TRAIN_PRESETS, type TrainConfig } from '../train/config';
import { closest } from '../util/edit-distance';
import { BACKEND_FLAG, JSON_FLAG, MODEL_FLAG, toNumber, type FlagSpec, type NumberRule, type Parsed } from './args';
import { UsageError } from './errors';
import { QUANT_FLAGS } from './quant-flags';
import { ENGINE_FLAGS } from './llamafactory/flags';

const METHODS = ['lora', 'dora', 'ia3', 'prompt', 'prefix', 'p-tuning', 'adalora', 'full'] as const;
/** The AdaLoRA-only flags (refused with another method). */
const ADALORA_FLAGS = ['init-r', 'target-r', 'tinit', 'tfinal', 'delta-t', 'total-step', 'beta1', 'beta2', 'orth-reg-weight'];
const D = DEFAULT_TRAIN_CONFIG;
/** Alpaca-CoT's LoRA defaults (r 8, alpha 16, dropout 0.05 on q/v), and PEFT's 8 virtual tokens. */
const LORA = { r: 8, alpha: 16, dropout: 0.05, targets: ['q_proj', 'v_proj'], virtualTokens: 8 };

export const TRAIN_FLAGS: FlagSpec = {
  config: { type: 'string', value: 'file.json', help: 'experiment file whose keys are these flags (kebab- or camelCase); flags given here win over it' },
  model: MODEL_FLAG,
  data: { type: 'string', value: 'file.json[l]', help: 'training records, JSON or JSON Lines: {instruction, input, output} or {messages: [...]}' },
  out: { type: 'string', value: 'dir', help: 'output folder: the adapter goes to OUT/adapter (OUT/model for --peft full), checkpoints to OUT/checkpoints' },
  peft: { type: 'string', value: METHODS.join('|'), default: 'lora', help: 'fine-tuning method; full trains every weight' },
  'lora-r': { type: 'string', value: 'int', default: LORA.r, help: 'LoRA / DoRA rank' },
  'lora-alpha': { type: 'string', value: 'number', default: LORA.alpha, help: 'LoRA / DoRA scale numerator: updates are scaled by alpha / r (alpha / sqrt(r) with --use-rslora)' },
  'lora-dropout': { type: 'string', value: 'number', default: LORA.dropout, help: 'dropout on the LoRA / DoRA input while training, in [0, 1)' },
  'lora-target-modules': { type: 'string', value: 'list|all-linear', default: LORA.targets.join(','), help: 'comma-separated module names to adapt, or all-linear (LoRA, DoRA; IA3 defaults to its own per-family list)' },
  'use-rslora': { type: 'boolean', help: 'rank-stabilized LoRA: scale by alpha / sqrt(r) instead of alpha / r' },
  'num-virtual-tokens': { type: 'string', value: 'int', default: LORA.virtualTokens, help: 'virtual tokens learned by prompt tuning, prefix tuning and p-tuning' },
  encoder: { type: 'string', value: 'mlp|lstm', default: 'mlp', help: 'p-tuning: the prompt encoder (PEFT PromptEncoder): a 3-layer MLP, or a bidirectional LSTM then a 2-layer MLP' },
  'encoder-hidden-size': { type: 'string', value: 'int', help: 'p-tuning: the prompt encoder width (default: the model hidden size, as PEFT)' },
  'encoder-num-layers': { type: 'string', value: 'int', default: 2, help: 'p-tuning with --encoder lstm: LSTM layers (the MLP encoder always has 3 Linear layers)' },
  'model-type': { type: 'string', value: 'llama|chatglm|bloom|moss|...', help: "Alpaca-CoT's --model_type, as a check: the model's config.json must be of this family (any model_type webift knows)" },
  'init-r': { type: 'string', value: 'int', default: 12, help: 'AdaLoRA: starting rank of every adapted module (PEFT init_r)' },
  'target-r': { type: 'string', value: 'int', default: 8, help: 'AdaLoRA: average rank per module left when the budget schedule ends (PEFT target_r)' },
  tinit: { type: 'string', value: 'int', default: 0, help: 'AdaLoRA: warmup steps before ranks are pruned (Alpaca-CoT default: 200)' },
  tfinal: { type: 'string', value: 'int', default: 0, help: 'AdaLoRA: final steps trained with the rank pattern fixed (Alpaca-CoT default: 1000)' },
  'delta-t': { type: 'string', value: 'int', default: 1, help: 'AdaLoRA: steps between two rank allocations (PEFT deltaT; Alpaca-CoT default: 10)' },
  'total-step': { type: 'string', value: 'int', help: 'AdaLoRA: length of the budget schedule in optimizer steps (default: the run\'s steps)' },
  beta1: { type: 'string', value: 'number', default: 0.85, help: 'AdaLoRA: moving-average factor of the importance (sensitivity) scores' },
  beta2: { type: 'string', value: 'number', default: 0.85, help: 'AdaLoRA: moving-average factor of their uncertainty' },
  'orth-reg-weight': { type: 'string', value: 'number', default: 0.5, help: 'AdaLoRA: weight of the orthogonality regulariser added to the loss' },
  preset: { type: 'string', value: Object.keys(TRAIN_PRESETS).join('|'), help: 'a named set of training defaults, applied under the flags (alpaca-lora is the plain defaults)' },
  lr: { type: 'string', value: 'number', default: D.lr, help: 'peak learning rate, reached after warmup' },
  epochs: { type: 'string', value: 'number', default: D.epochs, help: 'passes over the training data (ignored with --max-steps)' },
  'max-steps': { type: 'string', value: 'int', help: 'optimizer steps to run, overriding --epochs' },
  'batch-size': { type: 'string', value: 'int', default: D.batchSize, help: 'sequences per micro-batch (the memory plan may lower it and raise --grad-accum to match)' },
  'grad-accum': { type: 'string', value: 'int', default: D.gradAccum, help: 'micro-batches per optimizer step: effective batch = batch-size x grad-accum' },
  'cutoff-len': { type: 'string', value: 'int', default: D.cutoffLen, help: 'tokens per example after truncation' },
  'warmup-steps': { type: 'string', value: 'int', default: D.warmupSteps, help: `linear warmup from lr 0, in optimizer steps (at most ${D.warmupMaxFraction * 100}% of the run)` },
  scheduler: { type: 'string', value: 'linear|cosine|constant', default: D.scheduler, help: 'learning-rate decay after warmup' },
  'weight-decay': { type: 'string', value: 'number', default: D.weightDecay, help: 'AdamW decoupled weight decay (never on biases and norm weights)' },
  'eval-split': { type: 'string', value: 'fraction|count', default: D.evalSplit, help: 'held-out eval examples: a fraction in [0, 1) or a count (at most a tenth of the data); 0 = none' },
  'eval-every': { type: 'string', value: 'int', default: D.evalEvery, help: 'evaluate every N optimizer steps; 0 = only at the end' },
  'checkpoint-every': { type: 'string', value: 'int', default: D.checkpointEvery, help: 'checkpoint into OUT/checkpoints every N optimizer steps; 0 = only at the end' },
  seed: { type: 'string', value: 'int', default: D.seed, help: 'seeds the data order, the eval split, dropout and the adapter initialization' },
  packing: { type: 'boolean', help: 'pack several whole examples into each row of --cutoff-len tokens' },
  'train-on-inputs': { type: 'boolean', help: 'compute the loss on the prompt tokens too (by default only on the response)' },
  resume: { type: 'boolean', help: 'continue from the latest checkpoint in OUT/checkpoints' },
  'memory-budget-gb': { type: 'string', value: 'number', help: 'memory the run may plan for, in GB (default: 4 on wasm, else 75% of the system memory)' },
  recompute: { type: 'string', value: 'auto|on|off', default: 'auto', help: 'recompute each block in the backward to save activation memory; auto lets the memory plan decide' },
  backend: BACKEND_FLAG,
  json: JSON_FLAG,
  ...QUANT_FLAGS,
  ...ENGINE_FLAGS,
};

export type Method = (typeof METHODS)[number];

export type Options = Record<string, string | boolean | undefined>;

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/_/g, '-');

/** Merges `--config` (if any) under the flags. */
export function trainOptions(p: Parsed): Options {
  const out: Options = {};
  const file = p.values.config as string | undefined;
  if (file) {
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new UsageError(`--config ${file}: ${(e as { code?: string }).code === 'ENOENT' ? 'no such file' : 'not valid JSON'}`);
    }
    for (const [k, v] of Object.entries(raw)) {
      const key = kebab(k);
      if (!(key in TRAIN_FLAGS) || key === 'config') {
        const near = closest(key, Object.keys(TRAIN_FLAGS).filter((f) => f !== 'config'));
        throw new UsageError(`--config ${file}: unknown key '${k}' (${near ? `did you mean "${near}"?` : 'keys are the train flags, e.g. "lora-r"'})`);
      }
      out[key] = typeof v === 'boolean' ? v : String(v);
    }
  }
  for (const [k, v] of Object.entries(p.values)) if (v !== undefined && k !== 'config') out[k] = v as string | boolean;
  return out;
}

function num(o: Options, k: string, rule: NumberRule = {}): number | undefined {
  const v = o[k];
  return v === undefined ? undefined : toNumber(k, v, rule);
}
const COUNT = { int: true, min: 1 }, STEPS = { int: true, min: 0 };

export function method(o: Options): Method {
  const m = (o.peft ?? 'lora') as Method;
  if (!METHODS.includes(m)) throw new UsageError(`--peft must be one of ${METHODS.join(', ')}, got '${m}'`);
  return m;
}

/** The PEFT config for the method (null for full fine-tuning). Defaults as Alpaca-CoT: r 8, alpha 16, dropout 0.05, q/v. */
export function peftConfig(o: Options): PeftConfig | null {
  const m = method(o);
  if (m !== 'p-tuning') for (const k of ['encoder', 'encoder-hidden-size', 'encoder-num-layers']) if (o[k] !== undefined) throw new UsageError(`--${k} goes with --peft p-tuning (got --peft ${m})`);
  if (m !== 'adalora') for (const k of ADALORA_FLAGS) if (o[k] !== undefined) throw new UsageError(`--${k} goes with --peft adalora (got --peft ${m})`);
  if (m === 'full') return null;
  const targets = o['lora-target-modules'] as string | undefined;
  const list = targets === undefined ? undefined : targets === 'all-linear' ? 'all-linear' : targets.split(',').map((s) => s.trim()).filter(Boolean);
  if (m === 'lora' || m === 'dora') {
    return loraConfig({
      r: num(o, 'lora-r', COUNT) ?? LORA.r, lora_alpha: num(o, 'lora-alpha') ?? LORA.alpha, lora_dropout: num(o, 'lora-dropout') ?? LORA.dropout,
      target_modules: (list ?? [...LORA.targets]) as never, use_rslora: o['use-rslora'] === true || o['use-rslora'] === 'true', use_dora: m === 'dora',
    });
  }
  if (m === 'adalora') {
    return adaLoraConfig({
      init_r: num(o, 'init-r', STEPS) ?? 12, target_r: num(o, 'target-r', STEPS) ?? 8, tinit: num(o, 'tinit', STEPS) ?? 0, tfinal: num(o, 'tfinal', STEPS) ?? 0,
      deltaT: num(o, 'delta-t', COUNT) ?? 1, total_step: num(o, 'total-step', COUNT) ?? null, beta1: num(o, 'beta1') ?? 0.85, beta2: num(o, 'beta2') ?? 0.85,
      orth_reg_weight: num(o, 'orth-reg-weight') ?? 0.5, lora_alpha: num(o, 'lora-alpha') ?? LORA.alpha, lora_dropout: num(o, 'lora-dropout') ?? LORA.dropout,
      target_modules: (list ?? [...LORA.targets]) as never,
    });
  }
  if (m === 'ia3') return ia3Config(list ? { target_modules: list as never } : {});
  const n = num(o, 'num-virtual-tokens', COUNT) ?? LORA.virtualTokens;
  if (m === 'p-tuning') {
    const enc = String(o.encoder ?? 'mlp').toUpperCase();
    if (enc !== 'MLP' && enc !== 'LSTM') throw new UsageError(`--encoder must be mlp or lstm, got '${o.encoder}'`);
    return pTuningConfig({
      num_virtual_tokens: n, encoder_reparameterization_type: enc, encoder_hidden_size: num(o, 'encoder-hidden-size', COUNT) ?? null,
      encoder_num_layers: num(o, 'encoder-num-layers', COUNT) ?? 2,
    });
  }
  return m === 'prompt' ? promptTuningConfig({ num_virtual_tokens: n }) : prefixTuningConfig({ num_virtual_tokens: n });
}

/** Every name --model-type takes: the model_type values config.json may say, and chatglm2 (ChatGLM2/3 say 'chatglm'). */
const MODEL_TYPES = [...new Set<string>([...FAMILIES, 'chatglm2'])];

/**
 * Alpaca-CoT's --model_type (llama | chatglm | chatglm2 | bloom | moss), taken as a check against the loaded config:
 * it must name the model's family or its config.json model_type. Refuses an unknown name or a mismatch, naming both.
 */
export function checkModelType(o: Options, family: Family, label: string): void {
  const want = o['model-type'];
  if (want === undefined) return;
  if (typeof want !== 'string' || !MODEL_TYPES.includes(want)) throw new UsageError(`--model-type must be one of ${MODEL_TYPES.join(', ')}, got '${want}'`);
  if (want === family || want === hfModelType(family)) return;
  const says = hfModelType(family) === family ? `'${family}'` : `'${hfModelType(family)}' (${family})`;
  throw new UsageError(`--model-type ${want} does not match the model: ${label}'s config.json says model_type ${says}`);
}

export function trainOverrides(o: Options): Partial<TrainConfig> {
  const t: Partial<TrainConfig> = {};
  const set = <K extends keyof TrainConfig>(k: K, v: TrainConfig[K] | undefined) => {
    if (v !== undefined) t[k] = v;
  };
  set('lr', num(o, 'lr'));
  set('epochs', num(o, 'epochs'));
  set('maxSteps', num(o, 'max-steps', COUNT));
  set('batchSize', num(o, 'batch-size', COUNT));
  set('gradAccum', num(o, 'grad-accum', COUNT));
  set('cutoffLen', num(o, 'cutoff-len', { int: true, min: 2 }));
  set('warmupSteps', num(o, 'warmup-steps', STEPS));
  set('evalSplit', num(o, 'eval-split', { min: 0 }));
  set('evalEvery', num(o, 'eval-every', STEPS));
  set('checkpointEvery', num(o, 'checkpoint-every', STEPS));
  set('weightDecay', num(o, 'weight-decay', { min: 0 }));
  set('seed', num(o, 'seed', STEPS));
  if (o.scheduler !== undefined) t.scheduler = o.scheduler as TrainConfig['scheduler'];
  return t;
}
