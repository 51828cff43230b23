/**
 * The streaming quantizer the loader is given (kernels/packed.ts MatrixQuantizer): it quantizes each chunk of HF
 * rows as it is read, then decodes it back to measure the error, so the f32 chunk can be freed at once. Also the
 * mapping from user settings (--quantize int4 --group-size 64, or the experiment's `quantize`) to a QuantSpec.
 */
import { decodeColumn, validateSpec, type MatrixQuantizer, type PackedMatrix, type QuantSpec } from '../kernels/packed';
import { encodeColumns } from './quantize';
import { ErrorAccumulator, type TensorError } from './report';

export type QuantMode = 'none' | 'int8' | 'int4';
export const QUANT_MODES: readonly QuantMode[] = ['none', 'int8', 'int4'];
export const DEFAULT_GROUP_SIZE = 64;

export interface Quantizer extends MatrixQuantizer {
  /** Per-tensor error, in the order tensors were first seen. */
  report(): TensorError[];
}

export function createQuantizer(spec: QuantSpec): Quantizer {
  validateSpec(spec);
  const stats = new Map<string, ErrorAccumulator>();
  let scratch = new Float32Array(0);
  return {
    spec,
    encodeColumns(name: string, dest: PackedMatrix, c0: number, hfRows: Float32Array, n: number): void {
      encodeColumns(dest, c0, hfRows, n, name);
      if (scratch.length < dest.rows) scratch = new Float32Array(dest.rows);
      let acc = stats.get(name);
      if (!acc) stats.set(name, (acc = new ErrorAccumulator()));
      for (let j = 0; j < n; j++) {
        decodeColumn(dest, c0 + j, scratch);
        acc.add(hfRows.subarray(j * dest.rows, (j + 1) * dest.rows), scratch, dest.rows);
      }
    },
    report: () => [...stats].map(([name, acc]) => acc.result(name)),
  };
}

/** 'none' -> null; 'int8' | 'int4' -> a spec. Throws on anything else. */
export function quantSpecFrom(mode: string, groupSize = DEFAULT_GROUP_SIZE, symmetric = true): QuantSpec | null {
  if (!QUANT_MODES.includes(mode as QuantMode)) throw new RangeError(`quantize must be one of ${QUANT_MODES.join(', ')}, got '${mode}'`);
  if (mode === 'none') return null;
  const spec: QuantSpec = { bits: mode === 'int4' ? 4 : 8, groupSize, symmetric };
  validateSpec(spec);
  return spec;
}

/** e.g. "int4 g64 sym". */
export function specLabel(spec: QuantSpec | null): string {
  return spec ? `int${spec.bits} g${spec.groupSize} ${spec.symmetric ? 'sym' : 'asym'}` : 'none';
}
