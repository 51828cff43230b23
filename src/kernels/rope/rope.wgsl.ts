/**
 * WGSL for RoPE, forward and input gradient, as tfjs-webgpu user code (tfjs adds the bindings, `uniforms`, and the
 * `_start` entry that calls `main(index)`). Tiling: flat, one thread per output element of x (B, H, T, D); no
 * workgroup memory and no barrier. The tables cos, sin are (Bc, 1, T, R) with Bc = 1 or B and R <= D the rotary
 * width (its channels d < R rotate; d >= R pass through: partial rotary). Channel d is paired with p(d) and
 * rot(x)[d] = sgn(d) · x[p(d)]:
 *   rotate_half  (HF, ops.applyRope):        p(d) = d ± R/2, sgn = −1 for d < R/2, +1 above;
 *   interleaved  (GPT-J, rope-interleaved):  p(d) = d xor 1, sgn = −1 for even d, +1 for odd.
 * Forward y[d] = x[d]·cos[d] + sgn(d)·x[p(d)]·sin[d]. The gradient is the transposed map, the rotation by −θ:
 * dx[d] = dy[d]·cos[d] − sgn(d)·dy[p(d)]·sin[p(d)] (sgn(p(d)) = −sgn(d); sin is read at p(d), so tables whose two
 * pair members differ would still be right). f32 throughout.
 */
export const WG = 64;

export type RopeStyle = 'half' | 'interleaved';

function pairCode(style: RopeStyle): string {
  return style === 'half'
    ? `let lo = d < R / 2;
        let p = select(d - R / 2, d + R / 2, lo);
        let sgn = select(1.0, -1.0, lo);`
    : `let p = d ^ 1;
        let sgn = select(1.0, -1.0, (d & 1) == 0);`;
}

/** Inputs x (B, H, T, D), cos and sin (Bc, 1, T, R); output (B, H, T, D). `backward`: x is dy, the output dx. */
export function ropeCode(style: RopeStyle, backward: boolean): string {
  const sinAt = backward ? 'sin[row + p]' : 'sin[row + d]';
  const rotSign = backward ? '-sgn' : 'sgn';
  return `
  fn main(index : i32) {
    if (index < uniforms.size) {
      let D = uniforms.xShape.w;
      let T = uniforms.xShape.z;
      let R = uniforms.cosShape.w;
      let d = index % D;
      let v = x[index];
      if (d >= R) {
        setOutputAtIndex(index, v);
      } else {
        let t = (index / D) % T;
        let b = select(index / (D * T * uniforms.xShape.y), 0, uniforms.cosShape.x == 1);
        let row = (b * T + t) * R;
        ${pairCode(style)}
        setOutputAtIndex(index, v * cos[row + d] + ${rotSign} * x[index - d + p] * ${sinAt});
      }
    }
  }`;
}
