/**
 * merge / unmerge / merge_and_unload as peft 0.13, in our [in, out] layout (GPT-2's Conv1D included: the
 * fan_in_fan_out transpose PEFT needs is already folded into our layout). LoRA: W += scaling * A B. DoRA:
 * W = (m / ||W + dW||_c) * (W + dW), the norms cached for the exact unmerge. IA3: W *= l (columns, and the bias,
 * for output scaling; rows for feed-forward); unmerge divides by l + 1e-8 as PEFT. AdaLoRA: W += B (A ⊙ E) * alpha / (ranknum + 1e-5). Safe merge computes every new
 * weight first and throws, base untouched, if any is non-finite (PEFT checks module by module and can stop halfway).
 * A quantized base is refused with a MergeError (merging would bake the quantization error into the result): load
 * the full-precision base, for which the adapter is an ordinary PEFT adapter, and merge there.
 */
import { tf, type Tensor } from '../kernels/tf';
import { describeWeight, SplitWeight, type WeightTensor } from '../kernels/qtensor';
import { transpose2d } from '../model/load';
import { expandTable } from '../model/weights';
import type { WritableTensor } from '../model/safetensors';
import type { Model } from '../model/types';
import type { Adapter, AdapterModule } from './adapter';
import { columnNorm } from './dora';
import { adaloraDelta } from './adalora';

export class MergeError extends Error {
  override name = 'MergeError';
}

/** A base weight as the one f32 tensor a merge rewrites; a MergeError for a quantized or split one. */
function baseTensor(model: Model, name: string): Tensor {
  return plain(model.weights.get(name)!, name);
}

function plain(w: WeightTensor, name: string): Tensor {
  if (w instanceof tf.Tensor) return w;
  throw new MergeError(`the base weight '${name}' is ${describeWeight(w)}: merging into it would bake the quantization error into the merged model. Load the base without --quantize (the adapter is an ordinary PEFT adapter for it) and merge there`);
}

/** A split f32 weight's values as one row-major [rows, cols] matrix (a quantized one is refused). */
async function splitData(w: SplitWeight, name: string): Promise<Float32Array> {
  const [rows, cols] = w.shape;
  const out = new Float32Array(rows * cols);
  for (const b of w.blocks) {
    const d = (await plain(b.w, name).data()) as Float32Array;
    if (w.axis === 0) out.set(d, b.start * cols);
    else for (let r = 0; r < rows; r++) out.set(d.subarray(r * b.size, (r + 1) * b.size), r * cols + b.start);
  }
  return out;
}

/** scaling * A B: the LoRA update in our layout, [in, out]. */
function loraDelta(m: AdapterModule & { kind: 'lora' }): Tensor {
  return tf.mul(tf.matMul(m.a, m.b), m.scaling);
}

interface Planned {
  /** Our weight name -> its new value. */
  weights: Map<string, Tensor>;
  /** DoRA norms to cache, by module. */
  norms: Map<string, Tensor>;
}

function plan(model: Model, adapter: Adapter): Planned {
  const weights = new Map<string, Tensor>();
  const norms = new Map<string, Tensor>();
  for (const [name, m] of adapter.modules) {
    const w = baseTensor(model, `${name}.w`);
    if (m.kind === 'adalora') {
      weights.set(`${name}.w`, tf.tidy(() => tf.add(w, adaloraDelta(m))));
    } else if (m.kind === 'lora') {
      const [nw, norm] = tf.tidy(() => {
        const delta = loraDelta(m);
        if (!m.magnitude) return [tf.add(w, delta), null];
        const merged = tf.add(w, delta);
        const nrm = columnNorm(merged); // (out)
        return [tf.mul(merged, tf.div(m.magnitude, nrm)), nrm];
      });
      weights.set(`${name}.w`, nw!);
      if (norm) norms.set(name, norm);
    } else {
      const b = model.weights.get(`${name}.b`) as Tensor | undefined; // biases are plain tensors
      weights.set(`${name}.w`, tf.tidy(() => (m.feedforward ? tf.mul(w, tf.transpose(m.l)) : tf.mul(w, m.l))));
      if (b && !m.feedforward) weights.set(`${name}.b`, tf.tidy(() => tf.mul(b, tf.reshape(m.l, [-1]))));
    }
  }
  return { weights, norms };
}

async function firstNonFinite(weights: Map<string, Tensor>): Promise<string | null> {
  const names = [...weights.keys()];
  const flags = tf.tidy(() => tf.stack(names.map((n) => tf.cast(tf.all(tf.isFinite(weights.get(n)!)), 'int32'))));
  const ok = await flags.data();
  flags.dispose();
  const bad = names.findIndex((_, i) => ok[i] === 0);
  return bad < 0 ? null : names[bad];
}

function swapIn(model: Model, weights: Map<string, Tensor>): void {
  for (const [name, t] of weights) {
    model.weights.get(name)!.dispose();
    model.weights.set(name, t);
  }
}

/**
 * Folds a LoRA / DoRA / IA3 adapter into the base weights (in place in model.weights). With `safe`, refuses
 * non-finite results and leaves the model untouched. The adapter stays attached but adds nothing until unmerged.
 */
export async function mergeAdapter(model: Model, adapter: Adapter, opts: { safe?: boolean } = {}): Promise<void> {
  if (adapter.method !== 'LORA' && adapter.method !== 'IA3' && adapter.method !== 'ADALORA') throw new MergeError(`${adapter.method} cannot be merged into the weights (PEFT cannot either)`);
  if (adapter.merged) throw new MergeError('the adapter is already merged');
  for (const name of adapter.modules.keys()) baseTensor(model, `${name}.w`); // refuse a quantized base up front
  const p = plan(model, adapter);
  if (opts.safe) {
    const bad = await firstNonFinite(p.weights);
    if (bad) {
      tf.dispose([...p.weights.values(), ...p.norms.values()]);
      throw new MergeError(`NaN or Inf in the merged weight '${bad}': the adapter seems to be broken; nothing was merged`);
    }
  }
  swapIn(model, p.weights);
  for (const [name, t] of p.norms) adapter.mergeCache.set(name, t);
  adapter.merged = true;
}

/** Removes a merged adapter from the base weights: the inverse of mergeAdapter, up to rounding. */
export function unmergeAdapter(model: Model, adapter: Adapter): void {
  if (!adapter.merged) throw new MergeError('the adapter is not merged');
  const weights = new Map<string, Tensor>();
  for (const [name, m] of adapter.modules) {
    const w = baseTensor(model, `${name}.w`);
    if (m.kind === 'adalora') {
      weights.set(`${name}.w`, tf.tidy(() => tf.sub(w, adaloraDelta(m))));
    } else if (m.kind === 'lora') {
      weights.set(`${name}.w`, tf.tidy(() => {
        if (!m.magnitude) return tf.sub(w, loraDelta(m));
        const factor = tf.div(m.magnitude, adapter.mergeCache.get(name)!); // (out)
        return tf.sub(tf.div(w, factor), loraDelta(m));
      }));
    } else {
      const b = model.weights.get(`${name}.b`) as Tensor | undefined;
      weights.set(`${name}.w`, tf.tidy(() => tf.div(w, tf.add(m.feedforward ? tf.transpose(m.l) : m.l, 1e-8))));
      if (b && !m.feedforward) weights.set(`${name}.b`, tf.tidy(() => tf.div(b, tf.add(tf.reshape(m.l, [-1]), 1e-8))));
    }
  }
  swapIn(model, weights);
  for (const t of adapter.mergeCache.values()) t.dispose();
  adapter.mergeCache.clear();
  adapter.merged = false;
}

/** merge_and_unload(): merge, then drop the adapter. The model keeps the merged weights. */
export async function mergeAndUnload(model: Model, adapter: Adapter, opts: { safe?: boolean } = {}): Promise<void> {
  await mergeAdapter(model, adapter, opts);
  for (const t of adapter.mergeCache.values()) t.dispose();
  adapter.mergeCache.clear();
  adapter.dispose();
}

/**
 * Every base weight under its HF name and in HF layout (nn.Linear [out, in]; Conv1D [in, out]), ready for
 * writeSafetensors as model.safetensors. A tied lm_head is left out, as save_pretrained leaves it out.
 */
export async function mergedHfWeights(model: Model): Promise<Record<string, WritableTensor>> {
  const out: Record<string, WritableTensor> = {};
  for (const spec of expandTable(model.config)) {
    if (spec.ours === 'lm_head.w' && model.config.tieEmbeddings) continue;
    const t = model.weights.get(spec.ours);
    if (!t) continue;
    let data = t instanceof SplitWeight ? await splitData(t, spec.ours) : Float32Array.from((await plain(t, spec.ours).data()) as Float32Array);
    let shape = [...t.shape] as number[];
    if (spec.kind === 'embedding' && t instanceof SplitWeight && t.axis === 1) {
      // A split tied embedding is stored in the head's [C, V] layout (kernels/qtensor.ts): back to [V, C].
      data = transpose2d(data, shape[0], shape[1]);
      shape = [shape[1], shape[0]];
    }
    if (spec.kind === 'linear') {
      const [inD, outD] = shape;
      out[spec.hf] = { shape: [outD, inD], data: transpose2d(data, inD, outD) };
    } else {
      out[spec.hf] = { shape, data };
    }
  }
  return out;
}
