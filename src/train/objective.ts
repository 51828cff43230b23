/**
 * What a run trains, as the trainer needs it: the trainable variables and the micro-batch loss for any PEFT method
 * (through peft's adapterForward, so prompt tuning's extended labels are used; AdaLoRA adds its orthogonal
 * regulariser, as PEFT's AdaLoraModel.forward does whenever labels are given) or for full fine-tuning (the model's
 * own weights turned into variables). Also the MethodSpec the memory estimate wants. Not here: data or I/O.
 */
import { tf, type Tensor } from '../kernels/tf';
import { describeWeight } from '../kernels/qtensor';

type Variable = tf.Variable;
import type { Model } from '../model/types';
import { adapterForward, withOrthRegularizer, type Adapter, type AdaLoraConfig, type LoraConfig, type IA3Config } from '../peft';
import { causalLmLoss, chunkedCausalLmLoss, headIsFrozen } from './loss';
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
export interface ObjectiveOptions {
  /** Gradient checkpointing: recompute each decoder block in the backward (less memory, ~1.3x the compute). */
  recompute?: boolean;
  /** false: the generic taped blocks even where the fused ones apply (model/fused-block.ts; benches compare). */
  fusedBlocks?: boolean;
}

/** The trainable tensors of decoder block i for an adapter (LoRA A/B, DoRA magnitudes, IA3 vectors), by module name. */
function layerAdapterParams(adapter: Adapter): (i: number) => Tensor[] {
  const byLayer = new Map<number, Tensor[]>();
  for (const [name, m] of adapter.modules) {
    const i = Number(/^layers\.(\d+)\./.exec(name)?.[1] ?? NaN);
    if (!Number.isInteger(i)) continue;
    const ts = m.kind === 'lora' ? [m.a, m.b, ...(m.magnitude ? [m.magnitude] : [])] : m.kind === 'adalora' ? [m.a, m.e, m.b] : [m.l];
    byLayer.set(i, [...(byLayer.get(i) ?? []), ...ts]);
  }
  return (i) => byLayer.get(i) ?? [];
}

export function objective(model: Model, adapter: Adapter | null, opts: ObjectiveOptions = {}): LossFn {
  return (batch, ctx): Tensor => {
    const seed = ctx.rng.nextU32();
    const inputs = { ids: batch.ids, B: batch.B, T: batch.T, attentionMask: batch.attentionMask };
    if (!headIsFrozen(model)) {
      const out = adapterForward(model, adapter, inputs, { train: ctx.training, seed, labels: batch.labels });
      return withOrthRegularizer(adapter, causalLmLoss(out.logits!, out.labels ?? batch.labels));
    }
    // A frozen head: the chunked lm_head + loss never holds the (B, T, V) logits; recompute per block when asked.
    const recompute = ctx.training && (opts.recompute ?? false);
    const out = adapterForward(model, adapter, inputs, { train: ctx.training, seed, labels: batch.labels, skipHead: true, recompute, fusedBlocks: opts.fusedBlocks, layerParams: recompute && adapter ? layerAdapterParams(adapter) : undefined });
    return withOrthRegularizer(adapter, chunkedCausalLmLoss(model, out.finalHidden!, out.labels ?? batch.labels));
  };
}

export function methodSpec(adapter: Adapter | null): MethodSpec {
  if (!adapter) return { kind: 'full' };
  switch (adapter.method) {
    case 'LORA': {
      const c = adapter.config as LoraConfig;
      return { kind: 'lora', r: c.r, targets: [...new Set([...adapter.modules.keys()].map((m) => m.split('.').pop()!))], plain: !c.use_dora };
    }
    case 'ADALORA': {
      // Sized at init_r (E adds r per module, negligible); the masked ranks still hold memory.
      const c = adapter.config as AdaLoraConfig;
      return { kind: 'lora', r: c.init_r, targets: [...new Set([...adapter.modules.keys()].map((m) => m.split('.').pop()!))] };
    }
    case 'IA3':
      return { kind: 'ia3', targets: (adapter.config as IA3Config).target_modules as string[] };
    case 'PROMPT_TUNING':
      return { kind: 'prompt', virtualTokens: adapter.virtualTokens };
    case 'P_TUNING': // the encoder's weights are trained; its activations are a few n x h rows
      return { kind: 'prompt', virtualTokens: adapter.virtualTokens, encoderParams: [...adapter.params.values()].reduce((s, v) => s + v.size, 0) };
    case 'PREFIX_TUNING':
      return { kind: 'prefix', virtualTokens: adapter.virtualTokens };
    default:
      return { kind: 'full' };
  }
}
