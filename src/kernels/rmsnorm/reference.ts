/**
 * RMSNorm in plain TypeScript, the oracle for the WGSL kernel and the CPU fallback's definition:
 * y = x · rstd · w with rstd = 1/sqrt(mean(x²) + eps) per row; its gradients dx and dw for an upstream dy.
 * Accumulates in f64. x, dy [rows, C]; w [C].
 */
export function rmsNormReference(x: Float32Array, w: Float32Array, C: number, eps: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let base = 0; base < x.length; base += C) {
    let ss = 0;
    for (let c = 0; c < C; c++) ss += x[base + c] * x[base + c];
    const rstd = 1 / Math.sqrt(ss / C + eps);
    for (let c = 0; c < C; c++) y[base + c] = x[base + c] * rstd * w[c];
  }
  return y;
}

/** dx = rstd · (g − x · rstd² · mean(g · x)), g = dy · w; dw = Σ_rows dy · x · rstd. */
export function rmsNormGradReference(x: Float32Array, w: Float32Array, dy: Float32Array, C: number, eps: number): { dx: Float32Array; dw: Float32Array } {
  const dx = new Float32Array(x.length);
  const dw = new Float64Array(C);
  for (let base = 0; base < x.length; base += C) {
    let ss = 0, gx = 0;
    for (let c = 0; c < C; c++) {
      ss += x[base + c] * x[base + c];
      gx += dy[base + c] * w[c] * x[base + c];
    }
    const rstd = 1 / Math.sqrt(ss / C + eps);
    const k = (rstd * rstd * gx) / C;
    for (let c = 0; c < C; c++) {
      dx[base + c] = rstd * (dy[base + c] * w[c] - x[base + c] * k);
      dw[c] += dy[base + c] * x[base + c] * rstd;
    }
  }
  return { dx, dw: Float32Array.from(dw) };
}
