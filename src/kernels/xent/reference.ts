/**
 * Softmax cross-entropy over a chunk of logits in plain TypeScript, the oracle for the WGSL kernel: per row of z
 * (n, V), with an optional final softcap (ẑ = cap·tanh(z/cap)), loss = logsumexp(ẑ) − ẑ_y and
 * dz = (softmax(ẑ) − onehot(y)) · scale · (1 − tanh²); a target of −1 gives loss 0 and dz 0. f64 inside.
 */
export function softmaxXentReference(z: Float32Array, targets: Int32Array, V: number, cap: number, scale: number): { loss: Float32Array; dz: Float32Array } {
  const n = targets.length;
  const loss = new Float32Array(n);
  const dz = new Float32Array(n * V);
  const zc = new Float64Array(V), th = new Float64Array(V);
  for (let r = 0; r < n; r++) {
    const y = targets[r];
    if (y < 0) continue;
    let m = -Infinity;
    for (let c = 0; c < V; c++) {
      const v = z[r * V + c];
      th[c] = cap ? Math.tanh(v / cap) : 0;
      zc[c] = cap ? cap * th[c] : v;
      m = Math.max(m, zc[c]);
    }
    let s = 0;
    for (let c = 0; c < V; c++) s += Math.exp(zc[c] - m);
    const lse = m + Math.log(s);
    loss[r] = lse - zc[y];
    for (let c = 0; c < V; c++) {
      const g = (Math.exp(zc[c] - lse) - (c === y ? 1 : 0)) * scale;
      dz[r * V + c] = cap ? g * (1 - th[c] * th[c]) : g;
    }
  }
  return { loss, dz };
}
