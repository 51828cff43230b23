/**
 * Element strides of an additive attention bias broadcast to (B, H, T, S): 0 along an axis of size 1, the tensor's
 * own stride elsewhere. Null when the shape does not broadcast. Both attention kernels (WGSL and CPU) read the bias
 * through these instead of expanding it.
 */
export function biasStrides(shape: number[], full: number[]): number[] | null {
  if (shape.length > 4) return null;
  const s4 = [...Array(4 - shape.length).fill(1), ...shape] as number[];
  if (s4.some((d, i) => d !== 1 && d !== full[i])) return null;
  const strides = [0, 0, 0, 0];
  let acc = 1;
  for (let i = 3; i >= 0; i--) {
    strides[i] = s4[i] === 1 ? 0 : acc;
    acc *= s4[i];
  }
  return strides;
}
