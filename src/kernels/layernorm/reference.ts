/**
 * LayerNorm in plain TypeScript, the oracle for the WGSL kernel and the composed path's definition:
 * y = (x − mean) · rstd · w + b with rstd = 1/sqrt(var + eps), var the biased variance of the row; its gradients
 * dx, dw and db for an upstream dy. Accumulates in f64. x, dy [rows, C]; w, b [C].
 */
function rowStats(x: Float32Array, base: number, C: number, eps: number): { mean: number; rstd: number } {
  let s = 0;
  for (let c = 0; c < C; c++) s += x[base + c];
  const mean = s / C;
  let q = 0;
  for (let c = 0; c < C; c++) q += (x[base + c] - mean) ** 2;
  return { mean, rstd: 1 / Math.sqrt(q / C + eps) };
}

export function layerNormReference(x: Float32Array, w: Float32Array, b: Float32Array, C: number, eps: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let base = 0; base < x.length; base += C) {
    const { mean, rstd } = rowStats(x, base, C, eps);
    for (let c = 0; c < C; c++) y[base + c] = (x[base + c] - mean) * rstd * w[c] + b[c];
  }
  return y;
}

/** dx = rstd · (g − mean(g) − x̂ · mean(g · x̂)), g = dy · w, x̂ = (x − mean) · rstd; dw = Σ_rows dy · x̂; db = Σ_rows dy. */
export function layerNormGradReference(x: Float32Array, w: Float32Array, dy: Float32Array, C: number, eps: number): { dx: Float32Array; dw: Float32Array; db: Float32Array } {
  const dx = new Float32Array(x.length);
  const dw = new Float64Array(C), db = new Float64Array(C);
  for (let base = 0; base < x.length; base += C) {
    const { mean, rstd } = rowStats(x, base, C, eps);
    let g = 0, gx = 0;
    for (let c = 0; c < C; c++) {
      const gi = dy[base + c] * w[c];
      g += gi;
      gx += gi * (x[base + c] - mean) * rstd;
    }
    for (let c = 0; c < C; c++) {
      const xh = (x[base + c] - mean) * rstd;
      dx[base + c] = rstd * (dy[base + c] * w[c] - g / C - xh * (gx / C));
      dw[c] += dy[base + c] * xh;
      db[c] += dy[base + c];
    }
  }
  return { dx, dw: Float32Array.from(dw), db: Float32Array.from(db) };
}
