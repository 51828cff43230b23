/**
 * WGSL for softmax cross-entropy over a chunk of logits z (n, V), as tfjs-webgpu user code (tfjs adds the bindings,
 * `uniforms`, and the `_start` entry that calls `main`). Two programs, two passes over each row:
 *   stats  one workgroup of WG threads per row: each thread keeps an online (max, Σ exp) over its stride of the row
 *          (V is any width, no multiple of WG needed), then a tree merge in workgroup memory gives the row's
 *          logsumexp (or, with `subgroups`, a subgroup merge: wgsl-common.ts); thread 0 writes [loss, lse] with loss = lse − z_y (0 where the target is −1). Spare
 *          workgroups past the last row run with V = 0 (no early return before a barrier).
 *   grad   flat, one thread per element: dz = (exp(z − lse) − [c = y]) · scale, times (1 − tanh²) under a softcap; 0 for
 *          a row whose target is −1.
 * With a final softcap (uniform cap > 0) each logit is cap · tanh(z / cap) first; tanh's argument is clamped to ±15
 * (tanh(15) is 1 in f32) so no backend's tanh overflows. f32 throughout.
 */
import { laneSnippet, SUBGROUPS_ENABLE } from '../wgsl-common';

export const WG = 256;

/** The capped logit of a raw one, and tanh's value (0 without a cap). */
const capSnippet = `
  fn capped(v : f32) -> vec2<f32> {
    if (uniforms.cap > 0.0) {
      let th = tanh(clamp(v / uniforms.cap, -15.0, 15.0));
      return vec2<f32>(uniforms.cap * th, th);
    }
    return vec2<f32>(v, 0.0);
  }`;

/** Merges this workgroup's per-thread (m, s) pairs into the row's: a tree in workgroup memory. */
const treeMerge = `
    pm[localId.x] = m;
    ps[localId.x] = s;
    workgroupBarrier();
    for (var k = ${WG / 2}u; k > 0u; k = k >> 1u) {
      if (localId.x < k) {
        let m1 = pm[localId.x];
        let m2 = pm[localId.x + k];
        let mx = max(m1, m2);
        ps[localId.x] = ps[localId.x] * exp(m1 - mx) + ps[localId.x + k] * exp(m2 - mx);
        pm[localId.x] = mx;
      }
      workgroupBarrier();
    }
    let rowMax = pm[0];
    let rowSum = ps[0];`;

/**
 * The same merge through subgroups (wgsl-common.ts explains the slots): each subgroup merges its lanes with
 * subgroupMax and subgroupAdd, its first lane stores the pair, and every subgroup merges all WG slots.
 */
const subgroupMerge = `
    ${laneSnippet}
    let sm = subgroupMax(m);
    let ss = subgroupAdd(s * exp(m - sm));
    pm[localId.x] = select(-3.0e38, sm, lane == 0u);
    ps[localId.x] = select(0.0, ss, lane == 0u);
    workgroupBarrier();
    var m2 = -3.0e38;
    var s2 = 0.0;
    for (var i = lane; i < ${WG}u; i = i + width) {
      let mi = pm[i];
      let mx = max(m2, mi);
      s2 = s2 * exp(m2 - mx) + ps[i] * exp(mi - mx);
      m2 = mx;
    }
    let rowMax = subgroupMax(m2);
    let rowSum = subgroupAdd(s2 * exp(m2 - rowMax));`;

/** Inputs z (n, V) f32, tgt (n) i32; uniforms cap. Output (n, 2): [loss, lse] per row. `subgroups`: the subgroup merge. */
export function statsCode(subgroups = false): string {
  return `${subgroups ? SUBGROUPS_ENABLE : ''}
  ${capSnippet}
  var<workgroup> pm : array<f32, ${WG}>;
  var<workgroup> ps : array<f32, ${WG}>;
  fn main(index : i32) {
    let row = i32(workgroupId.x + workgroupId.y * numWorkgroups.x);
    let live = row < uniforms.zShape.x;
    let V = select(0, uniforms.zShape.y, live);
    let base = row * V;
    var m = -3.0e38;
    var s = 0.0;
    for (var c = i32(localId.x); c < V; c = c + ${WG}) {
      let v = capped(z[base + c]).x;
      if (v > m) { s = s * exp(m - v) + 1.0; m = v; } else { s = s + exp(v - m); }
    }
    ${subgroups ? subgroupMerge : treeMerge}
    if (localId.x == 0u && live) {
      let lse = rowMax + log(rowSum);
      let y = tgt[row];
      var loss = 0.0;
      if (y >= 0 && y < V) { loss = lse - capped(z[base + y]).x; }
      setOutputAtIndex(row * 2, loss);
      setOutputAtIndex(row * 2 + 1, lse);
    }
  }`;
}

/** Inputs z (n, V) f32, tgt (n) i32, stats (n, 2); uniforms cap, scale. Output dz (n, V). */
export function gradCode(): string {
  return `${capSnippet}
  fn main(index : i32) {
    if (index < uniforms.size) {
      let V = uniforms.zShape.y;
      let row = index / V;
      let y = tgt[row];
      var g = 0.0;
      if (y >= 0) {
        let v = capped(z[index]);
        g = (exp(v.x - stats[row * 2 + 1]) - select(0.0, 1.0, index - row * V == y)) * uniforms.scale;
        if (uniforms.cap > 0.0) { g = g * (1.0 - v.y * v.y); }
      }
      setOutputAtIndex(index, g);
    }
  }`;
}
