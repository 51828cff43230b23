/**
 * SwiGLU in plain TypeScript, the oracle for the fused kernel: y = silu(g)·u = g·σ(g)·u, and for an upstream dy
 * dg = dy·u·σ(g)·(1 + g·(1 − σ(g))), du = dy·g·σ(g). f64 throughout.
 */
export function swigluReference(g: Float32Array, u: Float32Array): Float32Array {
  return Float32Array.from(g, (x, i) => (x / (1 + Math.exp(-x))) * u[i]);
}

export function swigluGradReference(g: Float32Array, u: Float32Array, dy: Float32Array): { dg: Float32Array; du: Float32Array } {
  const dg = new Float32Array(g.length), du = new Float32Array(g.length);
  for (let i = 0; i < g.length; i++) {
    const s = 1 / (1 + Math.exp(-g[i]));
    dg[i] = dy[i] * u[i] * s * (1 + g[i] * (1 - s));
    du[i] = dy[i] * g[i] * s;
  }
  return { dg, du };
}
