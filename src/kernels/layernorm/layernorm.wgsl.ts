/**
 * WGSL for LayerNorm, forward and input gradient, as tfjs-webgpu user code (tfjs adds the bindings, `uniforms`, and
 * the `_start` entry that calls `main`). Tiling as kernels/rmsnorm: one workgroup of WG threads per row of C
 * values, each thread striding over the row, workgroup sums (wgsl-common.ts: a tree, or the subgroup variant with
 * `subgroups`). The forward takes the mean, then the biased variance of the centred row (two passes: no
 * E[x²] − E[x]² cancellation), and writes
 * y = (x − mean) · rstd · w + b. The backward recomputes mean and rstd and writes
 * dx = rstd · (g − mean(g) − x̂ · mean(g · x̂)) with g = dy · w, x̂ = (x − mean) · rstd. f32 throughout.
 */
import { rowSnippet, rowSumSnippet } from '../wgsl-common';

export const WG = 64;

/** Mean and rstd of this workgroup's row (after rowSnippet). */
const statsSnippet = `
    let inv = 1.0 / f32(max(C, 1));
    var s = 0.0;
    for (var c = i32(localId.x); c < C; c = c + ${WG}) { s = s + x[base + c]; }
    let mean = rowSum(s) * inv;
    var q = 0.0;
    for (var c = i32(localId.x); c < C; c = c + ${WG}) { let d = x[base + c] - mean; q = q + d * d; }
    let rstd = inverseSqrt(rowSum(q) * inv + uniforms.eps);`;

/** Inputs x [rows, C], w [C], b [C]; uniforms eps. */
export function forwardCode(subgroups = false): string {
  return `${rowSumSnippet(WG, subgroups)}
  fn main(index : i32) {
    ${rowSnippet}
    ${statsSnippet}
    for (var c = i32(localId.x); c < C; c = c + ${WG}) { setOutputAtIndex(base + c, (x[base + c] - mean) * rstd * w[c] + b[c]); }
  }`;
}

/** Inputs x [rows, C], w [C], dy [rows, C]; uniforms eps. Output dx. */
export function backwardCode(subgroups = false): string {
  return `${rowSumSnippet(WG, subgroups)}
  fn main(index : i32) {
    ${rowSnippet}
    ${statsSnippet}
    var g = 0.0;
    var gx = 0.0;
    for (var c = i32(localId.x); c < C; c = c + ${WG}) {
      let gi = dy[base + c] * w[c];
      g = g + gi;
      gx = gx + gi * (x[base + c] - mean) * rstd;
    }
    let mg = rowSum(g) * inv;
    let mgx = rowSum(gx) * inv;
    for (var c = i32(localId.x); c < C; c = c + ${WG}) {
      let xh = (x[base + c] - mean) * rstd;
      setOutputAtIndex(base + c, rstd * (dy[base + c] * w[c] - mg - xh * mgx));
    }
  }`;
}
