/**
 * What a run trains, as the trainer needs it: the trainable variables and the micro-batch loss for any PEFT method
 * (through peft's adapterForward, so prompt tuning's extended labels are used) or for full fine-tuning (the model's
 * own weights turned into variables). Also the MethodSpec the memory estimate wants. Not here: data or I/O.
 */
import { tf, type Tensor } from '../kernels/tf';
import { describeWeight } from '../kernels/qtensor';

type Variable = tf.Variable;
import type { Model } from '../model/types';
import { adapterForward, type Adapter, type LoraConfig, type IA3Config } from '../peft';
import { causalLmLoss } from './loss';
import type { LossFn } from './step';
import type { MethodSpec } from './estimate';

/** Full fine-tuning: replaces every weight by a trainable variable (in place) and returns them by our names. */
export function makeWeightsTrainable(model: Model): Map<string, Variable> {
  const out = new Map<string, Variable>();
  for (const [name, t] of model.weights) {
    if (!(t instanceof tf.Tensor)) throw new Error(`full fine-tuning needs every weight as one f32 tensor, but '${name}' is ${describeWeight(t)}: load the model without --quantize, or train an adapter (LoRA, DoRA, IA3) on the quantized base`);
  }
  for (const [name, t] of model.weights as Map<string, Tensor>) {
    const v = t instanceof tf.Variable ? t : tf.variable(t, true, `full.${name}`);
    if (v !== t) t.dispose();
    model.weights.set(name, v);
    out.set(name, v);
  }
  return out;
}

export function paramsOf(model: Model, adapter: Adapter | null): Map<string, Variable> {
  return adapter ? adapter.params : makeWeightsTrainable(model);
}

/** The mean causal-LM loss of one micro-batch, with dropout seeded from the trainer's checkpointed RNG. */
export function objective(model: Model, adapter: Adapter | null): LossFn {
  return (batch, ctx): Tensor => {
    const seed = ctx.rng.nextU32();
    const out = adapterForward(model, adapter, { ids: batch.ids, B: batch.B, T: batch.T, attentionMask: batch.attentionMask }, { train: ctx.training, seed, labels: batch.labels });
    return causalLmLoss(out.logits!, out.labels ?? batch.labels);
  };
}

export function methodSpec(adapter: Adapter | null): MethodSpec {
  if (!adapter) return { kind: 'full' };
  switch (adapter.method) {
    case 'LORA': {
      const c = adapter.config as LoraConfig;
      return { kind: 'lora', r: c.r, targets: [...new Set([...adapter.modules.keys()].map((m) => m.split('.').pop()!))] };
    }
    case 'IA3':
      return { kind: 'ia3', targets: (adapter.config as IA3Config).target_modules as string[] };
    case 'PROMPT_TUNING':
      return { kind: 'prompt', virtualTokens: adapter.virtualTokens };
    case 'PREFIX_TUNING':
      return { kind: 'prefix', virtualTokens: adapter.virtualTokens };
    default:
      return { kind: 'full' };
  }
}
