/**
 * RoPE in plain TypeScript, the oracle for the WGSL kernel: x (B, H, T, D) with tables cos, sin (Bc, 1, T, R),
 * Bc = 1 or B, the first R channels of each head rotated (rotate_half: pairs (i, i + R/2); interleaved: pairs
 * (2i, 2i + 1)), the rest passed through. The gradient is written as the scatter of each output's two partial
 * derivatives (dx[d] += dy[d]·cos[d], dx[p(d)] += sgn(d)·dy[d]·sin[d]): the transpose taken literally, not the
 * kernel's gathered form.
 */
export type RopeStyle = 'half' | 'interleaved';

export interface RopeShape { B: number; H: number; T: number; D: number; Bc: number; R: number }

/** Partner p(d) and sign sgn(d) of channel d < R: rot(x)[d] = sgn · x[p]. */
function pair(style: RopeStyle, d: number, R: number): [number, number] {
  if (style === 'interleaved') return d % 2 === 0 ? [d + 1, -1] : [d - 1, 1];
  return d < R / 2 ? [d + R / 2, -1] : [d - R / 2, 1];
}

function each(s: RopeShape, fn: (at: number, tab: number) => void): void {
  for (let b = 0; b < s.B; b++) for (let h = 0; h < s.H; h++) for (let t = 0; t < s.T; t++) {
    fn(((b * s.H + h) * s.T + t) * s.D, ((s.Bc === 1 ? 0 : b) * s.T + t) * s.R);
  }
}

export function ropeReference(x: Float32Array, cos: Float32Array, sin: Float32Array, s: RopeShape, style: RopeStyle): Float32Array {
  const y = Float32Array.from(x);
  each(s, (at, tab) => {
    for (let d = 0; d < s.R; d++) {
      const [p, sgn] = pair(style, d, s.R);
      y[at + d] = x[at + d] * cos[tab + d] + sgn * x[at + p] * sin[tab + d];
    }
  });
  return y;
}

export function ropeGradReference(dy: Float32Array, cos: Float32Array, sin: Float32Array, s: RopeShape, style: RopeStyle): Float32Array {
  const dx = Float64Array.from(dy);
  each(s, (at, tab) => {
    for (let d = 0; d < s.R; d++) dx[at + d] = 0;
    for (let d = 0; d < s.R; d++) {
      const [p, sgn] = pair(style, d, s.R);
      dx[at + d] += dy[at + d] * cos[tab + d];
      dx[at + p] += sgn * dy[at + d] * sin[tab + d];
    }
  });
  return Float32Array.from(dx);
}
