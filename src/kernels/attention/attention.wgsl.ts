/**
 * WGSL for flash-style attention (FlashAttention-2 order, f32, no atomics) as tfjs-webgpu user code. Tiling: a
 * workgroup of 256 threads holds a BR × BC = 16 × 16 tile of scores, thread (r, c) = (index / 16, index % 16); the
 * head dim is walked in chunks of DC = 32 staged in workgroup memory (≤ 4 chunks of 16 × 32 plus two 16 × 16 tiles:
 * 10 KiB), and each thread owns the output dims c, c + 16, ... of its row in a private array (D ≤ 16 · ACC = 256).
 * forward: one workgroup per (query tile, head, batch); online softmax over key blocks; writes O, then per row the
 *   running max m and sum l (not L = m + log l: for a fully masked row m ≈ -1e9, where f32 cannot hold log l).
 * dQ: same grid; p = exp(z − m) / l, dS = p · (dP − Dᵢ) · dz/ds; dQ = Σ dS · K.
 * dK/dV: one workgroup per (key tile, kv head, batch), looping over the query tiles of every query head of its group.
 * Masking is either a broadcast bias read in the kernel, or causal + key padding + sliding window computed from the
 * positions; key blocks no query of the tile can see are skipped, unless the tile holds a fully masked row (then all
 * blocks run, reproducing the composed op's softmax over -1e9 biases). Loop bounds around barriers come through
 * workgroupUniformLoad: tfjs copies the builtins into private variables, which the uniformity analysis distrusts.
 */
export const BR = 16;
export const BC = 16;
export const DC = 32;
export const ACC = 16;
export const MAX_D = 16 * ACC;
const WG = BR * BC;

/**
 * Program uniforms after tfjs's shapes. `causal` picks the mask: 0 reads the flat bias with per-axis strides (0
 * along broadcast axes), 1 uses the positions and `keys`: the (B, S) key padding mask, then from `deadOff` the
 * (B, nQT) flags of query tiles with a fully masked row. One shader serves both, so SwiftShader compiles three
 * pipelines, not six. Inputs are packed (keys; stats with Dᵢ) to stay within 8 storage buffers per stage, WebGPU's
 * default limit.
 */
export const UNIFORMS = 'scale : f32, cap : f32, causal : i32, past : i32, keyStart : i32, win : i32, nQT : i32, bsB : i32, bsH : i32, bsT : i32, bsS : i32, deadOff : i32,';

/** Stages rows row0.. of `src` (row length D, rows < nRows, zero past the end) dims d0..d0+DC into `dst`. */
function stage(dst: string, src: string, base: string, row0: string, nRows: string): string {
  return `for (var e = i32(localIndex); e < ${BR * DC}; e = e + ${WG}) {
        let rr = ${row0} + e / ${DC};
        let dd = d0 + e % ${DC};
        var val = 0.0;
        if (rr < ${nRows} && dd < D) { val = ${src}[${base} + rr * D + dd]; }
        ${dst}[e] = val;
      }`;
}

/** Shared declarations: shapes, the score transform (scale, softcap, mask) and its derivative. */
function common(): string {
  return `
  var<workgroup> tA : array<f32, ${BR * DC}>;
  var<workgroup> tB : array<f32, ${BC * DC}>;
  var<workgroup> tC : array<f32, ${BR * DC}>;
  var<workgroup> tD : array<f32, ${BC * DC}>;
  var<workgroup> tP : array<f32, ${WG}>;
  var<workgroup> tS : array<f32, ${WG}>;
  var<workgroup> wLo : i32;
  var<workgroup> wHi : i32;

  /** (z, dz/d(q·k)) for the raw dot product s0 of query t and key j: scale, softcap, then the mask. */
  fn score(s0 : f32, b : i32, h : i32, t : i32, j : i32) -> vec2<f32> {
    var s = s0 * uniforms.scale;
    var ds = uniforms.scale;
    if (uniforms.cap > 0.0) {
      let th = tanh(clamp(s / uniforms.cap, -15.0, 15.0));
      s = uniforms.cap * th;
      ds = ds * (1.0 - th * th);
    }
    if (uniforms.causal == 0) {
      return vec2<f32>(s + bias[b * uniforms.bsB + h * uniforms.bsH + t * uniforms.bsT + j * uniforms.bsS], ds);
    }
    let qa = uniforms.past + t;
    let ka = uniforms.keyStart + j;
    let ok = ka <= qa && keys[b * uniforms.kShape.z + j] != 0 && (uniforms.win <= 0 || qa - ka < uniforms.win);
    return vec2<f32>(select(s + ${MASK}, s, ok), ds);
  }

  /** True when the query tile tq (rows t0..t1 absolute past+t) may see some key of j0..j1 by position. */
  fn overlaps(t0 : i32, t1 : i32, j0 : i32, j1 : i32) -> bool {
    let qLo = uniforms.past + t0;
    let qHi = uniforms.past + t1;
    let kLo = uniforms.keyStart + j0;
    let kHi = uniforms.keyStart + j1;
    return uniforms.causal == 0 || (kLo <= qHi && (uniforms.win <= 0 || qLo - kHi < uniforms.win));
  }

  /** Whether query tile tq of batch row b holds a fully masked row (then it must see every key). */
  fn deadTile(b : i32, tq : i32) -> bool {
    return uniforms.causal != 0 && keys[uniforms.deadOff + b * uniforms.nQT + tq] != 0;
  }`;
}

/** The additive mask value of ops.ts (MASK_VALUE), as a WGSL literal. */
const MASK = '-1e9';

/**
 * Thread 0 sets [wLo, wHi) to the key blocks that query tile `tile` must visit; everyone reads them uniformly.
 * Query rows t0..tEnd-1 of T; S keys.
 */
const keyRange = `
    if (localIndex == 0u) {
      let nKB = (S + ${BC - 1}) / ${BC};
      var lo = 0;
      var hi = nKB;
      if (!deadTile(b, tile)) {
        lo = nKB;
        hi = 0;
        for (var kb = 0; kb < nKB; kb = kb + 1) {
          if (overlaps(t0, tEnd - 1, kb * ${BC}, min(kb * ${BC} + ${BC}, S) - 1)) { lo = min(lo, kb); hi = kb + 1; }
        }
      }
      wLo = lo;
      wHi = hi;
    }
    let kbLo = workgroupUniformLoad(&wLo);
    let kbHi = workgroupUniformLoad(&wHi);`;

/**
 * acc (this thread's row r, columns c and c + 16 of every DC-wide chunk of D) += Σ_cc tS[r, cc] · src[j0 + cc, ·]:
 * the row of weights in tS (probabilities, or dS in the dQ kernel) times the key block's rows of src (v or k),
 * staged chunk by chunk into `tile`.
 */
function tileRowsTimes(tile: string, src: string): string {
  return `for (var d0 = 0; d0 < D; d0 = d0 + ${DC}) {
        workgroupBarrier();
        ${stage(tile, src, 'kBase', 'j0', 'S')}
        workgroupBarrier();
        var o0 = 0.0;
        var o1 = 0.0;
        for (var cc = 0; cc < ${BC}; cc = cc + 1) {
          let w = tS[r * ${BC} + cc];
          o0 = o0 + w * ${tile}[cc * ${DC} + c];
          o1 = o1 + w * ${tile}[cc * ${DC} + c + 16];
        }
        acc[d0 / 16] = acc[d0 / 16] + o0;
        acc[d0 / 16 + 1] = acc[d0 / 16 + 1] + o1;
      }`;
}

/** Per-(query tile, head, batch) prologue: ids, shapes, bases. */
const queryTilePrologue = `
    let tile = i32(workgroupId.x);
    let h = i32(workgroupId.y);
    let b = i32(workgroupId.z);
    let H = uniforms.qShape.y;
    let T = uniforms.qShape.z;
    let D = uniforms.qShape.w;
    let Hkv = uniforms.kShape.y;
    let S = uniforms.kShape.z;
    let kh = h / (H / Hkv);
    let r = i32(localIndex) / ${BC};
    let c = i32(localIndex) % ${BC};
    let t0 = tile * ${BR};
    let tEnd = min(t0 + ${BR}, T);
    let t = t0 + r;
    let tc = min(t, T - 1);
    let row = (b * H + h) * T + tc;
    let qBase = (b * H + h) * T * D;
    let kBase = (b * Hkv + kh) * S * D;`;

/** Inputs q, k, v, bias, keys. Output: flat [O (B,H,T,D) | m (B,H,T) | l (B,H,T)]. */
export function forwardCode(): string {
  return `${common()}
  fn main(index : i32) {
    ${queryTilePrologue}
    ${keyRange}
    var m = -3.0e38;
    var l = 0.0;
    var acc : array<f32, ${ACC}>;
    for (var kb = kbLo; kb < kbHi; kb = kb + 1) {
      let j0 = kb * ${BC};
      var s = 0.0;
      for (var d0 = 0; d0 < D; d0 = d0 + ${DC}) {
        workgroupBarrier();
        ${stage('tA', 'q', 'qBase', 't0', 'T')}
        ${stage('tB', 'k', 'kBase', 'j0', 'S')}
        workgroupBarrier();
        for (var dd = 0; dd < ${DC}; dd = dd + 1) { s = s + tA[r * ${DC} + dd] * tB[c * ${DC} + dd]; }
      }
      let j = j0 + c;
      var z = -3.0e38;
      if (j < S) { z = score(s, b, h, tc, j).x; }
      tP[r * ${BC} + c] = z;
      workgroupBarrier();
      var mb = m;
      for (var cc = 0; cc < ${BC}; cc = cc + 1) { mb = max(mb, tP[r * ${BC} + cc]); }
      let alpha = exp(m - mb);
      tS[r * ${BC} + c] = select(0.0, exp(z - mb), j < S);
      for (var a = 0; a < ${ACC}; a = a + 1) { acc[a] = acc[a] * alpha; }
      ${tileRowsTimes('tD', 'v')}
      var ps = 0.0;
      for (var cc = 0; cc < ${BC}; cc = cc + 1) { ps = ps + tS[r * ${BC} + cc]; }
      l = l * alpha + ps;
      m = mb;
    }
    if (t < T) {
      let inv = select(0.0, 1.0 / l, l > 0.0);
      for (var a = 0; a < ${ACC}; a = a + 1) {
        let d = a * 16 + c;
        if (d < D) { setOutputAtIndex(qBase + t * D + d, acc[a] * inv); }
      }
      if (c == 0) {
        let n = uniforms.qShape.x * H * T;
        setOutputAtIndex(n * D + row, m);
        setOutputAtIndex(n * D + n + row, l);
      }
    }
  }`;
}

/** Inputs q, k, v, dy, stats [m | l | Dᵢ] (each B·H·T), bias, keys. Output dQ (B,H,T,D). */
export function dqCode(): string {
  return `${common()}
  fn main(index : i32) {
    ${queryTilePrologue}
    ${keyRange}
    let n = uniforms.qShape.x * H * T;
    let mr = stats[row];
    let linv = 1.0 / stats[n + row];
    let di = stats[2 * n + row];
    var acc : array<f32, ${ACC}>;
    for (var kb = kbLo; kb < kbHi; kb = kb + 1) {
      let j0 = kb * ${BC};
      var s = 0.0;
      var dp = 0.0;
      for (var d0 = 0; d0 < D; d0 = d0 + ${DC}) {
        workgroupBarrier();
        ${stage('tA', 'q', 'qBase', 't0', 'T')}
        ${stage('tB', 'k', 'kBase', 'j0', 'S')}
        ${stage('tC', 'dy', 'qBase', 't0', 'T')}
        ${stage('tD', 'v', 'kBase', 'j0', 'S')}
        workgroupBarrier();
        for (var dd = 0; dd < ${DC}; dd = dd + 1) {
          s = s + tA[r * ${DC} + dd] * tB[c * ${DC} + dd];
          dp = dp + tC[r * ${DC} + dd] * tD[c * ${DC} + dd];
        }
      }
      let j = j0 + c;
      var g = 0.0;
      if (j < S && t < T) {
        let z = score(s, b, h, tc, j);
        g = exp(z.x - mr) * linv * (dp - di) * z.y;
      }
      tS[r * ${BC} + c] = g;
      ${tileRowsTimes('tB', 'k')}
    }
    if (t < T) {
      for (var a = 0; a < ${ACC}; a = a + 1) {
        let d = a * 16 + c;
        if (d < D) { setOutputAtIndex(qBase + t * D + d, acc[a]); }
      }
    }
  }`;
}

/**
 * Inputs q, k, v, dy, stats, bias, keys. Output: flat [dK (B,Hkv,S,D) | dV (B,Hkv,S,D)].
 * Thread (r, c) is key r, query c of the tile while scoring, and key r, dims c, c + 16, ... while accumulating.
 */
export function dkvCode(): string {
  return `${common()}
  var<workgroup> wNeed : i32;
  fn main(index : i32) {
    let ktile = i32(workgroupId.x);
    let kh = i32(workgroupId.y);
    let b = i32(workgroupId.z);
    let H = uniforms.qShape.y;
    let T = uniforms.qShape.z;
    let D = uniforms.qShape.w;
    let Hkv = uniforms.kShape.y;
    let S = uniforms.kShape.z;
    let g = H / Hkv;
    let n = uniforms.qShape.x * H * T;
    let r = i32(localIndex) / ${BC};
    let c = i32(localIndex) % ${BC};
    let j0 = ktile * ${BC};
    let j = j0 + r;
    let jEnd = min(j0 + ${BC}, S);
    let kBase = (b * Hkv + kh) * S * D;
    var dk : array<f32, ${ACC}>;
    var dv : array<f32, ${ACC}>;
    for (var hh = 0; hh < g; hh = hh + 1) {
      let h = kh * g + hh;
      let qBase = (b * H + h) * T * D;
      for (var tile = 0; tile < uniforms.nQT; tile = tile + 1) {
        let t0 = tile * ${BR};
        workgroupBarrier();
        if (localIndex == 0u) {
          wNeed = select(0, 1, deadTile(b, tile) || overlaps(t0, min(t0 + ${BR}, T) - 1, j0, jEnd - 1));
        }
        let need = workgroupUniformLoad(&wNeed);
        if (need != 0) {
          let t = t0 + c;
          let tc = min(t, T - 1);
          let row = (b * H + h) * T + tc;
          var s = 0.0;
          var dp = 0.0;
          for (var d0 = 0; d0 < D; d0 = d0 + ${DC}) {
            workgroupBarrier();
            ${stage('tA', 'q', 'qBase', 't0', 'T')}
            ${stage('tB', 'k', 'kBase', 'j0', 'S')}
            ${stage('tC', 'dy', 'qBase', 't0', 'T')}
            ${stage('tD', 'v', 'kBase', 'j0', 'S')}
            workgroupBarrier();
            for (var dd = 0; dd < ${DC}; dd = dd + 1) {
              s = s + tA[c * ${DC} + dd] * tB[r * ${DC} + dd];
              dp = dp + tC[c * ${DC} + dd] * tD[r * ${DC} + dd];
            }
          }
          var p = 0.0;
          var gs = 0.0;
          if (j < S && t < T) {
            let z = score(s, b, h, tc, j);
            p = exp(z.x - stats[row]) / stats[n + row];
            gs = p * (dp - stats[2 * n + row]) * z.y;
          }
          tP[r * ${BR} + c] = p;
          tS[r * ${BR} + c] = gs;
          for (var d0 = 0; d0 < D; d0 = d0 + ${DC}) {
            workgroupBarrier();
            ${stage('tA', 'q', 'qBase', 't0', 'T')}
            ${stage('tC', 'dy', 'qBase', 't0', 'T')}
            workgroupBarrier();
            var v0 = 0.0;
            var v1 = 0.0;
            var k0 = 0.0;
            var k1 = 0.0;
            for (var cc = 0; cc < ${BR}; cc = cc + 1) {
              let pw = tP[r * ${BR} + cc];
              let gw = tS[r * ${BR} + cc];
              v0 = v0 + pw * tC[cc * ${DC} + c];
              v1 = v1 + pw * tC[cc * ${DC} + c + 16];
              k0 = k0 + gw * tA[cc * ${DC} + c];
              k1 = k1 + gw * tA[cc * ${DC} + c + 16];
            }
            dv[d0 / 16] = dv[d0 / 16] + v0;
            dv[d0 / 16 + 1] = dv[d0 / 16 + 1] + v1;
            dk[d0 / 16] = dk[d0 / 16] + k0;
            dk[d0 / 16 + 1] = dk[d0 / 16 + 1] + k1;
          }
        }
      }
    }
    if (j < S) {
      let half = uniforms.qShape.x * Hkv * S * D;
      for (var a = 0; a < ${ACC}; a = a + 1) {
        let d = a * 16 + c;
        if (d < D) {
          setOutputAtIndex(kBase + j * D + d, dk[a]);
          setOutputAtIndex(half + kBase + j * D + d, dv[a]);
        }
      }
    }
  }`;
}
