/**
 * WGSL snippets shared by the row-wise kernels (kernels/rmsnorm, kernels/layernorm, kernels/xent): a workgroup sum
 * (a tree in workgroup memory, or a subgroup variant) and the prologue that maps a workgroup to its row. They rely
 * on tfjs-webgpu's prelude (localId, workgroupId, numWorkgroups, uniforms.xShape of an input named x).
 *
 * The subgroup variant cannot read subgroup_invocation_id or subgroup_size (builtins of the entry point, which tfjs
 * writes), so it derives them: the lane is subgroupExclusiveAdd(1), the width subgroupAdd(1). Nor may it assume
 * which invocations share a subgroup. So each subgroup's first lane stores the subgroup's total in its own slot
 * (the other slots hold the identity), and then every subgroup sums all WG slots, lane i taking slots i, i + width,
 * ...: correct for any mapping and any width, and the same order, so the same bits, on every run of one device.
 * Two barriers instead of log2(WG). Callers must reach it in uniform control flow, as the tree already requires.
 */

/** The `enable` line the subgroup variants need (platform/gpu-device.ts hoists it above tfjs's prelude). */
export const SUBGROUPS_ENABLE = 'enable subgroups;';

/** The lane and width of this invocation's subgroup, as `lane` and `width` (u32). */
export const laneSnippet = `let lane = subgroupExclusiveAdd(1u);
    let width = subgroupAdd(1u);`;

/**
 * `fn rowSum(v) -> f32`: sums `v` across a workgroup of `wg` threads (a power of two); every thread gets the total.
 * With `subgroups`, the subgroup variant described above.
 */
export function rowSumSnippet(wg: number, subgroups = false): string {
  if (subgroups) {
    return `
  ${SUBGROUPS_ENABLE}
  var<workgroup> partial : array<f32, ${wg}>;
  fn rowSum(v : f32) -> f32 {
    ${laneSnippet}
    let s = subgroupAdd(v);
    partial[localId.x] = select(0.0, s, lane == 0u);
    workgroupBarrier();
    var acc = 0.0;
    for (var i = lane; i < ${wg}u; i = i + width) { acc = acc + partial[i]; }
    let total = subgroupAdd(acc);
    workgroupBarrier();
    return total;
  }`;
  }
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
