/**
 * `webift train` flags and `--config experiment.json`: one flat set of options (the flag names, kebab-case; the
 * config file may use the same names or camelCase), mapped to a PEFT config and a TrainConfig. Flags win over the
 * file. Unknown keys in the file are refused, so a typo never silently trains with a default.
 */
import { readFileSync } from 'node:fs';
import { loraConfig, ia3Config, promptTuningConfig, prefixTuningConfig, type PeftConfig } from '../peft';
import type { TrainConfig } from '../train/config';
import type { FlagSpec, Parsed } from './args';
import { UsageError } from './errors';
import { QUANT_FLAGS } from './quant-flags';

const S = { type: 'string' } as const;
const BOOL = { type: 'boolean' } as const;
export const TRAIN_FLAGS: FlagSpec = {
  config: S, model: S, data: S, peft: S, 'lora-r': S, 'lora-alpha': S, 'lora-dropout': S, 'lora-target-modules': S,
  'use-rslora': BOOL, 'num-virtual-tokens': S, lr: S, epochs: S, 'max-steps': S, 'batch-size': S, 'grad-accum': S,
  'cutoff-len': S, 'warmup-steps': S, 'eval-split': S, 'eval-every': S, 'checkpoint-every': S, scheduler: S,
  'weight-decay': S, seed: S, out: S, preset: S, packing: BOOL, 'train-on-inputs': BOOL, resume: BOOL,
  'memory-budget-gb': S, recompute: S, backend: S, json: BOOL, ...QUANT_FLAGS,
};

const METHODS = ['lora', 'dora', 'ia3', 'prompt', 'prefix', 'full'] as const;
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
      if (!(key in TRAIN_FLAGS) || key === 'config') throw new UsageError(`--config ${file}: unknown key '${k}' (keys are the train flags, e.g. "lora-r")`);
      out[key] = typeof v === 'boolean' ? v : String(v);
    }
  }
  for (const [k, v] of Object.entries(p.values)) if (v !== undefined && k !== 'config') out[k] = v as string | boolean;
  return out;
}

function num(o: Options, k: string, int = false): number | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (int && !Number.isInteger(n))) throw new UsageError(`--${k} must be ${int ? 'an integer' : 'a number'}, got '${v}'`);
  return n;
}

export function method(o: Options): Method {
  const m = (o.peft ?? 'lora') as Method;
  if (!METHODS.includes(m)) throw new UsageError(`--peft must be one of ${METHODS.join(', ')}, got '${m}'`);
  return m;
}

/** The PEFT config for the method (null for full fine-tuning). Defaults as Alpaca-CoT: r 8, alpha 16, dropout 0.05, q/v. */
export function peftConfig(o: Options): PeftConfig | null {
  const m = method(o);
  if (m === 'full') return null;
  const targets = o['lora-target-modules'] as string | undefined;
  const list = targets === undefined ? undefined : targets === 'all-linear' ? 'all-linear' : targets.split(',').map((s) => s.trim()).filter(Boolean);
  if (m === 'lora' || m === 'dora') {
    return loraConfig({
      r: num(o, 'lora-r', true) ?? 8, lora_alpha: num(o, 'lora-alpha') ?? 16, lora_dropout: num(o, 'lora-dropout') ?? 0.05,
      target_modules: (list ?? ['q_proj', 'v_proj']) as never, use_rslora: o['use-rslora'] === true || o['use-rslora'] === 'true', use_dora: m === 'dora',
    });
  }
  if (m === 'ia3') return ia3Config(list ? { target_modules: list as never } : {});
  const n = num(o, 'num-virtual-tokens', true) ?? 8;
  return m === 'prompt' ? promptTuningConfig({ num_virtual_tokens: n }) : prefixTuningConfig({ num_virtual_tokens: n });
}

export function trainOverrides(o: Options): Partial<TrainConfig> {
  const t: Partial<TrainConfig> = {};
  const set = <K extends keyof TrainConfig>(k: K, v: TrainConfig[K] | undefined) => {
    if (v !== undefined) t[k] = v;
  };
  set('lr', num(o, 'lr'));
  set('epochs', num(o, 'epochs'));
  set('maxSteps', num(o, 'max-steps', true));
  set('batchSize', num(o, 'batch-size', true));
  set('gradAccum', num(o, 'grad-accum', true));
  set('cutoffLen', num(o, 'cutoff-len', true));
  set('warmupSteps', num(o, 'warmup-steps', true));
  set('evalSplit', num(o, 'eval-split'));
  set('evalEvery', num(o, 'eval-every', true));
  set('checkpointEvery', num(o, 'checkpoint-every', true));
  set('weightDecay', num(o, 'weight-decay'));
  set('seed', num(o, 'seed', true));
  if (o.scheduler !== undefined) t.scheduler = o.scheduler as TrainConfig['scheduler'];
  return t;
}
