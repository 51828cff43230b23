/**
 * The model-loading flags that train, generate, chat and logits share (one table), mapped to the loader's streaming
 * quantizer: --quantize none|int8|int4 (default none), --group-size N (weights per scale, a multiple of 8, default
 * 64), --quant-asym (a zero point per group as well), --quant-report FILE (per-tensor error, JSON). Also the one-line
 * summary the commands print once the model is loaded.
 */
import { writeFileSync } from 'node:fs';
import { storedBytes } from '../kernels/qtensor';
import { QuantSpecError } from '../kernels/packed';
import type { Model } from '../model/types';
import { createQuantizer, DEFAULT_GROUP_SIZE, QUANT_MODES, quantSpecFrom, specLabel, summarize, type Quantizer } from '../quant';
import type { FlagSpec } from './args';
import { UsageError } from './errors';

export const QUANT_FLAGS: FlagSpec = {
  quantize: { type: 'string', value: QUANT_MODES.join('|'), default: 'none', help: 'quantize the frozen base weights as they load (QLoRA style)' },
  'group-size': { type: 'string', value: 'int', default: DEFAULT_GROUP_SIZE, help: 'weights per quantization scale, a multiple of 8 (with --quantize int8|int4)' },
  'quant-asym': { type: 'boolean', help: 'asymmetric quantization: a zero point per group as well as a scale' },
  'quant-report': { type: 'string', value: 'file.json', help: "write each tensor's quantization error as JSON" },
};

/** A quantizer for the flags (or a --config file's same keys), or null for --quantize none. Bad values: UsageError. */
export function quantizerFrom(values: Record<string, string | boolean | undefined>): Quantizer | null {
  const mode = (values.quantize ?? 'none') as string;
  if (!QUANT_MODES.includes(mode as never)) throw new UsageError(`--quantize must be one of ${QUANT_MODES.join(', ')}, got '${mode}'`);
  const g = values['group-size'];
  const asym = values['quant-asym'] === true || values['quant-asym'] === 'true';
  if (mode === 'none') {
    const stray = g !== undefined ? '--group-size' : asym ? '--quant-asym' : values['quant-report'] !== undefined ? '--quant-report' : null;
    if (stray) throw new UsageError(`${stray} applies only with --quantize int8 or int4`);
    return null;
  }
  const groupSize = g === undefined ? DEFAULT_GROUP_SIZE : Number(g);
  try {
    return createQuantizer(quantSpecFrom(mode, groupSize, !asym)!);
  } catch (e) {
    if (e instanceof QuantSpecError) throw new UsageError(`--group-size: ${e.message}${g === undefined ? '' : ` (got '${g}')`}`);
    throw e;
  }
}

/** "quantized int4 g64 sym: 558 MB -> 88 MB; 169 tensors, rel. RMS error ..." (shared storage counted once). */
export function quantSummary(model: Model, q: Quantizer): string {
  const { now, f32 } = storedBytes(model.weights.values());
  const mb = (b: number) => `${(b / 1e6).toFixed(b < 1e7 ? 1 : 0)} MB`;
  return `quantized ${specLabel(q.spec)}: weights ${mb(f32)} -> ${mb(now)}; ${summarize(q.report())}`;
}

/** Writes the per-tensor report (--quant-report) as JSON: [{ name, count, maxAbsError, relRmsError }]. */
export function writeQuantReport(values: Record<string, string | boolean | undefined>, q: Quantizer | null): void {
  const file = values['quant-report'];
  if (q && typeof file === 'string') writeFileSync(file, `${JSON.stringify(q.report(), null, 1)}\n`);
}
