/**
 * WGSL snippets shared by the row-wise kernels (kernels/rmsnorm, kernels/layernorm): a workgroup sum and the
 * prologue that maps a workgroup to its row. Both rely on tfjs-webgpu's prelude (localId, workgroupId,
 * numWorkgroups, uniforms.xShape of an input named x).
 */

/** `fn rowSum(v) -> f32`: sums `v` across a workgroup of `wg` threads (a power of two); every thread gets the total. */
export function rowSumSnippet(wg: number): string {
  return `
  var<workgroup> partial : array<f32, ${wg}>;
  fn rowSum(v : f32) -> f32 {
    partial[localId.x] = v;
    workgroupBarrier();
    for (var s = ${wg / 2}u; s > 0u; s = s >> 1u) {
      if (localId.x < s) { partial[localId.x] = partial[localId.x] + partial[localId.x + s]; }
      workgroupBarrier();
    }
    let total = partial[0];
    workgroupBarrier();
    return total;
  }`;
}

/**
 * This workgroup's row of x [rows, C], its width C and its offset. No early return for the spare workgroups past
 * the last row: barriers need uniform control flow, so those rows run with C = 0 instead.
 */
export const rowSnippet = `let row = i32(workgroupId.x + workgroupId.y * numWorkgroups.x);
    let C = select(0, uniforms.xShape.y, row < uniforms.xShape.x);
    let base = row * C;`;

/** One workgroup per row; rows past 65535 fold into y (the shader reads the row from workgroupId.x and .y). */
export function rowDispatch(rows: number): [number, number, number] {
  return [Math.min(rows, 65535), Math.ceil(rows / 65535), 1];
}
