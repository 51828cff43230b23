/**
 * Attention in plain TypeScript, the oracle for the WGSL kernels, written from the math with naive loops (f64
 * accumulation): z = softcap(scale · q·kᵀ) + mask, p = softmax_S(z), out = p · v, and the gradients for an upstream
 * dy: dv = pᵀ·dy, dz = p ∘ (dy·vᵀ − rowsum(dy ∘ out)), ds = dz · (1 − tanh²) · scale, dq = ds·k, dk = dsᵀ·q. GQA:
 * query head h reads kv head ⌊h / (H/Hkv)⌋. The mask is a bias (any (B|1, H|1, T|1, S) array) or causal positions
 * as model/mask.ts builds them. The biased score is rounded to f32 (Math.fround), as the composed op adds the bias
 * in f32: a fully masked row then gets the same near-uniform softmax over -1e9 + s as ops.attention gives it.
 */
import type { CausalSpec } from './attention';

/** MASK_VALUE of ops.ts (not imported: this file stays free of tfjs). */
const MASK = -1e9;

export interface RefDims { B: number; H: number; Hkv: number; T: number; S: number; D: number }

export interface RefOptions {
  scale: number;
  softcap?: number;
  bias?: { data: Float32Array; shape: [number, number, number, number] };
  causal?: CausalSpec;
}

/** Scores z (B, H, T, S) in f64 after the f32-rounded mask, and dz/d(q·k) per entry. */
function scores(q: Float32Array, k: Float32Array, n: RefDims, o: RefOptions): { z: Float64Array; dz: Float64Array } {
  const { B, H, Hkv, T, S, D } = n;
  const g = H / Hkv;
  const z = new Float64Array(B * H * T * S);
  const dz = new Float64Array(z.length);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++)
        for (let j = 0; j < S; j++) {
          const qo = ((b * H + h) * T + t) * D, ko = ((b * Hkv + Math.floor(h / g)) * S + j) * D;
          let s = 0;
          for (let d = 0; d < D; d++) s += q[qo + d] * k[ko + d];
          s *= o.scale;
          let deriv = o.scale;
          if (o.softcap) {
            const th = Math.tanh(s / o.softcap);
            s = o.softcap * th;
            deriv *= 1 - th * th;
          }
          const i = ((b * H + h) * T + t) * S + j;
          z[i] = Math.fround(s + maskAt(o, n, b, h, t, j));
          dz[i] = deriv;
        }
  return { z, dz };
}

function maskAt(o: RefOptions, n: RefDims, b: number, h: number, t: number, j: number): number {
  if (o.causal) {
    const c = o.causal;
    const total = c.past + n.T;
    const qi = c.past + t, kj = c.keyStart + j;
    const ok = kj <= qi && c.mask[b * total + kj] !== 0 && (c.window === null || qi - kj < c.window);
    return ok ? 0 : MASK;
  }
  if (!o.bias) return 0;
  const [bB, bH, bT, bS] = o.bias.shape;
  return o.bias.data[((Math.min(b, bB - 1) * bH + Math.min(h, bH - 1)) * bT + Math.min(t, bT - 1)) * bS + Math.min(j, bS - 1)];
}

/** Row softmax of z in place over S. */
function softmaxRows(z: Float64Array, S: number): Float64Array {
  for (let r = 0; r < z.length; r += S) {
    let m = -Infinity, sum = 0;
    for (let j = 0; j < S; j++) m = Math.max(m, z[r + j]);
    for (let j = 0; j < S; j++) sum += (z[r + j] = Math.exp(z[r + j] - m));
    for (let j = 0; j < S; j++) z[r + j] /= sum;
  }
  return z;
}

/** out (B, H, T, D). */
export function attentionReference(q: Float32Array, k: Float32Array, v: Float32Array, n: RefDims, o: RefOptions): Float32Array {
  const p = softmaxRows(scores(q, k, n, o).z, n.S);
  return Float32Array.from(pv(p, v, n));
}

function pv(p: Float64Array, v: Float32Array, n: RefDims): Float64Array {
  const { B, H, Hkv, T, S, D } = n;
  const out = new Float64Array(B * H * T * D);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++)
        for (let j = 0; j < S; j++) {
          const w = p[((b * H + h) * T + t) * S + j];
          const vo = ((b * Hkv + Math.floor(h / (H / Hkv))) * S + j) * D, oo = ((b * H + h) * T + t) * D;
          for (let d = 0; d < D; d++) out[oo + d] += w * v[vo + d];
        }
  return out;
}

/** dq (B, H, T, D), dk and dv (B, Hkv, S, D) for upstream dy (B, H, T, D). */
export function attentionGradReference(q: Float32Array, k: Float32Array, v: Float32Array, dy: Float32Array, n: RefDims, o: RefOptions): { dq: Float32Array; dk: Float32Array; dv: Float32Array } {
  const { B, H, Hkv, T, S, D } = n;
  const g = H / Hkv;
  const { z, dz } = scores(q, k, n, o);
  const p = softmaxRows(z, S);
  const out = pv(p, v, n);
  const dq = new Float64Array(q.length), dk = new Float64Array(k.length), dv = new Float64Array(v.length);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++) {
        const qo = ((b * H + h) * T + t) * D;
        let di = 0;
        for (let d = 0; d < D; d++) di += dy[qo + d] * out[qo + d];
        for (let j = 0; j < S; j++) {
          const i = ((b * H + h) * T + t) * S + j;
          const ko = ((b * Hkv + Math.floor(h / g)) * S + j) * D;
          let dp = 0;
          for (let d = 0; d < D; d++) dp += dy[qo + d] * v[ko + d];
          const ds = p[i] * (dp - di) * dz[i];
          for (let d = 0; d < D; d++) {
            dq[qo + d] += ds * k[ko + d];
            dk[ko + d] += ds * q[qo + d];
            dv[ko + d] += p[i] * dy[qo + d];
          }
        }
      }
  return { dq: Float32Array.from(dq), dk: Float32Array.from(dk), dv: Float32Array.from(dv) };
}
