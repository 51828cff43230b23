/**
 * Quantization error, per tensor: the largest absolute error and the relative RMS error
 * sqrt(Σ (w - ŵ)² / Σ w²), accumulated chunk by chunk as the loader streams a tensor. Plus a one-line summary.
 */

export interface TensorError {
  name: string;
  /** Values measured (rows × cols of the tensor). */
  count: number;
  maxAbsError: number;
  /** sqrt(Σ (w - ŵ)² / Σ w²); 0 for an all-zero tensor. */
  relRmsError: number;
}

export class ErrorAccumulator {
  private maxAbs = 0;
  private sse = 0;
  private ssr = 0;
  private n = 0;

  /** Adds ref[i] vs got[i] for i < count. */
  add(ref: ArrayLike<number>, got: ArrayLike<number>, count = ref.length): void {
    for (let i = 0; i < count; i++) {
      const d = got[i] - ref[i];
      const a = Math.abs(d);
      if (a > this.maxAbs) this.maxAbs = a;
      this.sse += d * d;
      this.ssr += ref[i] * ref[i];
    }
    this.n += count;
  }

  result(name: string): TensorError {
    return { name, count: this.n, maxAbsError: this.maxAbs, relRmsError: this.ssr > 0 ? Math.sqrt(this.sse / this.ssr) : 0 };
  }
}

/** The error of `got` against `ref` as one TensorError. */
export function quantizationError(name: string, ref: Float32Array, got: Float32Array): TensorError {
  const acc = new ErrorAccumulator();
  acc.add(ref, got);
  return acc.result(name);
}

/** e.g. "169 tensors, rel. RMS error 0.021 on average, worst 0.034 (layers.3.down.w), max |error| 0.0051". */
export function summarize(report: TensorError[]): string {
  if (!report.length) return 'no tensor quantized';
  const worst = report.reduce((a, b) => (b.relRmsError > a.relRmsError ? b : a));
  const mean = report.reduce((s, r) => s + r.relRmsError, 0) / report.length;
  const maxAbs = Math.max(...report.map((r) => r.maxAbsError));
  return `${report.length} tensors, rel. RMS error ${mean.toPrecision(2)} on average, worst ${worst.relRmsError.toPrecision(2)} (${worst.name}), max |error| ${maxAbs.toPrecision(2)}`;
}
