/**
 * Attention biases built once per forward on the host: causal + padding (+ sliding window) additive masks,
 * position ids from the mask as HF generate() derives them, and BLOOM's ALiBi slopes and key positions.
 * Masked entries get MASK_VALUE (-1e9), not finfo.min: see ENVIRONMENT.md pitfall 1.
 */
import { MASK_VALUE } from '../kernels/ops';

export interface MaskSpec {
  B: number;
  /** Query count. */
  T: number;
  /** Slot of the first query (= cached length). */
  past: number;
  /** Slot of the first key held (0, or later for a trimmed sliding-window cache). */
  keyStart: number;
  /** Key count. */
  S: number;
  /** (B, past + T) padding mask over all slots. */
  mask: Int32Array;
  /** Query at slot i sees key slot j only if i - j < window. */
  window: number | null;
}

/** (B, 1, T, S) additive bias: 0 where allowed, MASK_VALUE elsewhere. */
export function additiveMask(m: MaskSpec): Float32Array {
  const total = m.past + m.T;
  const out = new Float32Array(m.B * m.T * m.S);
  for (let b = 0; b < m.B; b++)
    for (let t = 0; t < m.T; t++) {
      const qi = m.past + t;
      const row = (b * m.T + t) * m.S;
      for (let s = 0; s < m.S; s++) {
        const kj = m.keyStart + s;
        const ok = kj <= qi && m.mask[b * total + kj] !== 0 && (m.window === null || qi - kj < m.window);
        out[row + s] = ok ? 0 : MASK_VALUE;
      }
    }
  return out;
}

/** HF generate(): position_ids = cumsum(mask) - 1, with padding positions set to 1. (B, S). */
export function positionIdsFromMask(mask: Int32Array, B: number, S: number): Int32Array {
  const out = new Int32Array(B * S);
  for (let b = 0; b < B; b++) {
    let c = 0;
    for (let s = 0; s < S; s++) {
      c += mask[b * S + s];
      out[b * S + s] = mask[b * S + s] ? c - 1 : 1;
    }
  }
  return out;
}

/** Default positions without position_ids: past..past+T-1 for every row. */
export function arangePositions(B: number, T: number, past: number): Int32Array {
  const out = new Int32Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out[b * T + t] = past + t;
  return out;
}

/** BLOOM's ALiBi slopes (build_alibi_tensor): geometric in 2^(-8/n), with interleaved extras when n is not a power of 2. */
export function alibiSlopes(nHeads: number): Float32Array {
  const closest = 2 ** Math.floor(Math.log2(nHeads));
  const base = 2 ** -(2 ** -(Math.log2(closest) - 3));
  const slopes: number[] = [];
  for (let i = 1; i <= closest; i++) slopes.push(base ** i);
  if (closest !== nHeads) {
    const extraBase = 2 ** -(2 ** -(Math.log2(2 * closest) - 3));
    const extra = Math.min(closest, nHeads - closest);
    for (let i = 1; i <= 2 * extra; i += 2) slopes.push(extraBase ** i);
  }
  return Float32Array.from(slopes);
}

/** (B, H, 1, S) ALiBi bias: slope_h * keypos, keypos = (cumsum(mask) - 1) * mask over key slots [keyStart, keyStart+S). */
export function alibiBias(mask: Int32Array, B: number, total: number, keyStart: number, S: number, slopes: Float32Array): Float32Array {
  const H = slopes.length;
  const out = new Float32Array(B * H * S);
  for (let b = 0; b < B; b++) {
    let c = 0;
    const pos = new Float32Array(total);
    for (let j = 0; j < total; j++) {
      c += mask[b * total + j];
      pos[j] = (c - 1) * mask[b * total + j];
    }
    for (let h = 0; h < H; h++) for (let s = 0; s < S; s++) out[(b * H + h) * S + s] = Math.fround(slopes[h] * pos[keyStart + s]);
  }
  return out;
}
