/**
 * WGSL for RMSNorm, forward and backward, as tfjs-webgpu user code (tfjs adds the bindings, `uniforms`, and the
 * `_start` entry that calls `main`). Tiling: one workgroup of WG threads per row of C values; each thread strides
 * over the row, then a tree reduction in workgroup memory gives the row's sum. The forward writes
 * y = x · rstd · w; the backward writes dx = rstd · (g − x · rstd² · mean(g · x)) with g = dy · w, recomputing rstd
 * from x (one more pass over the row is cheaper than storing it). f32 throughout. `subgroups` takes the subgroup
 * reduction (wgsl-common.ts).
 */
import { rowSnippet, rowSumSnippet } from '../wgsl-common';

export const WG = 64;

/** Inputs x [rows, C], w [C]; uniforms eps. */
export function forwardCode(subgroups = false): string {
  return `${rowSumSnippet(WG, subgroups)}
  fn main(index : i32) {
    ${rowSnippet}
    var ss = 0.0;
    for (var c = i32(localId.x); c < C; c = c + ${WG}) { let v = x[base + c]; ss = ss + v * v; }
    let rstd = inverseSqrt(rowSum(ss) / f32(max(C, 1)) + uniforms.eps);
    for (var c = i32(localId.x); c < C; c = c + ${WG}) { setOutputAtIndex(base + c, x[base + c] * rstd * w[c]); }
  }`;
}

/** Inputs x [rows, C], w [C], dy [rows, C]; uniforms eps. Output dx. */
export function backwardCode(subgroups = false): string {
  return `${rowSumSnippet(WG, subgroups)}
  fn main(index : i32) {
    ${rowSnippet}
    var ss = 0.0;
    var gx = 0.0;
    for (var c = i32(localId.x); c < C; c = c + ${WG}) {
      let v = x[base + c];
      ss = ss + v * v;
      gx = gx + dy[base + c] * w[c] * v;
    }
    let rstd = inverseSqrt(rowSum(ss) / f32(max(C, 1)) + uniforms.eps);
    let k = rstd * rstd * rowSum(gx) / f32(max(C, 1));
    for (var c = i32(localId.x); c < C; c = c + ${WG}) {
      setOutputAtIndex(base + c, rstd * (dy[base + c] * w[c] - x[base + c] * k));
    }
  }`;
}
