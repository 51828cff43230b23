/**
 * The app's side of quantized loading: a ModelSpec's `quantize` (the experiment's) as the loader's streaming
 * quantizer (quant/quantizer.ts, as --quantize/--group-size/--quant-asym give the CLI), and a loaded model's weight
 * bytes before and after, for ModelInfo. Bad settings become a user error that names the field. Not here: the
 * per-tensor error report (the CLI's --quant-report).
 */
import { storedBytes } from '../kernels/qtensor';
import type { Model } from '../model/types';
import { createQuantizer, QuantSpecError, quantSpecFrom, specLabel, type QuantSpec, type Quantizer } from '../quant';
import type { ModelInfo, QuantizeSpec } from '../protocol/train-api';
import { userError } from './session';

/** null for f32 (absent or mode 'none'); otherwise a fresh quantizer for one load. */
export function quantizerOf(q: QuantizeSpec | undefined): Quantizer | null {
  if (!q || q.mode === 'none') return null;
  let spec: QuantSpec | null;
  try {
    spec = quantSpecFrom(q.mode, q.groupSize, q.symmetric);
  } catch (e) {
    const what = e instanceof QuantSpecError ? `Group size ${q.groupSize} does not work: ${e.message}` : `Quantize base '${q.mode}' is not one of none, int8, int4.`;
    throw userError(`${what} Pick another value on the Experiment screen.`, String(e));
  }
  return createQuantizer(spec!);
}

/** ModelInfo's `quantized`: the spec's label and the base's weight bytes now and as f32 (shared storage once). */
export function quantInfo(model: Model, spec: QuantSpec | null): ModelInfo['quantized'] {
  if (!spec) return undefined;
  const { now, f32 } = storedBytes(model.weights.values());
  return { label: specLabel(spec), weightBytes: now, f32Bytes: f32 };
}
