/**
 * SwiGLU in plain TypeScript, the oracle for the fused kernel: y = silu(g)·u = g·σ(g)·u, in f64.
 */
export function swigluReference(g: Float32Array, u: Float32Array): Float32Array {
  return Float32Array.from(g, (x, i) => (x / (1 + Math.exp(-x))) * u[i]);
}
