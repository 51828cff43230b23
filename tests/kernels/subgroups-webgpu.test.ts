/**
 * The subgroup variants of the row reductions (kernels/wgsl-common.ts) and what they rest on: the device hoisting
 * WGSL `enable` directives above tfjs's prelude (platform/gpu-device.ts), the variant chosen exactly when the device
 * has subgroups and WEBIFT_WEBGPU_SUBGROUPS allows it, the compiled shader really calling subgroupAdd, and the same
 * bits on every run. Their values against the references are in the rmsnorm, layernorm and xent suites, which run
 * both variants. SwiftShader (CI) offers subgroups of 4 lanes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { gpuFeatures, SUBGROUP_FLAG, useSubgroups } from '../../src/kernels/gpu-features';
import { rmsNormReference } from '../../src/kernels/rmsnorm/reference';
import { rmsNormWebGpu } from '../../src/kernels/rmsnorm/rmsnorm';
import { softmaxXentWebGpu } from '../../src/kernels/xent/xent';
import { initBackend } from '../../src/platform/backend';
import { checkGpuErrors, gpuDevice, hoistEnables } from '../../src/platform/gpu-device';
import { compareClose } from '../helpers/fixtures';
import { lcg } from '../helpers/random';
import { recordShaderCode } from '../helpers/shader-code';

describe('hoistEnables', () => {
  it('moves each enable directive to the top once and leaves code without one as it is', () => {
    const code = 'struct U { a : f32, };\n  enable subgroups;\nfn f() {}\nenable f16, subgroups;\n  enable subgroups;\n';
    expect(hoistEnables(code)).toBe('enable subgroups;\nenable f16, subgroups;\nstruct U { a : f32, };\n\nfn f() {}\n\n\n');
    const plain = 'fn main() { let enabled = 1; }\n// enable subgroups is a comment, not a directive\n';
    expect(hoistEnables(plain)).toBe(plain);
  });
});

describe('subgroup kernels on webgpu', () => {
  const compiled: string[] = [];
  let restore = () => {};

  beforeAll(async () => {
    expect((await initBackend({ prefer: ['webgpu'] })).name).toBe('webgpu');
    const device = gpuDevice()!;
    restore = recordShaderCode(device, compiled);
  });
  afterAll(() => {
    restore();
    tf.env().set(SUBGROUP_FLAG, true);
  });

  it('are chosen exactly when the device has subgroups and the flag allows them', async () => {
    const info = (gpuDevice() as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    console.log(`adapter ${info?.architecture ?? '?'}: subgroups ${gpuFeatures().subgroups}`);
    if (info?.architecture === 'swiftshader') expect(gpuFeatures().subgroups).toBe(true);
    tf.env().set(SUBGROUP_FLAG, true);
    expect(useSubgroups()).toBe(gpuFeatures().subgroups);
    tf.env().set(SUBGROUP_FLAG, false);
    expect(useSubgroups()).toBe(false);
  });

  it('compile with the directive first, call subgroupAdd, and give the same bits on every run', async () => {
    if (!gpuFeatures().subgroups) return; // nothing to run on a device without them (CI's SwiftShader has them)
    const [rows, C, eps] = [5, 333, 1e-6];
    const xv = lcg(rows * C, 11), wv = lcg(C, 12, { offset: 1 });
    const x = tf.tensor(xv, [rows, C]), w = tf.tensor(wv, [C]);
    const run = async (sg: boolean) => {
      tf.env().set(SUBGROUP_FLAG, sg);
      const y = rmsNormWebGpu(x, w, eps)!;
      const v = (await y.data()) as Float32Array;
      y.dispose();
      return v;
    };
    compiled.length = 0;
    const first = await run(true);
    const sgCode = compiled.find((c) => c.includes('subgroupAdd'));
    expect(sgCode, 'a compiled shader with subgroupAdd').toBeDefined();
    // tfjs's prelude comes first in the code it hands the device, so only the hoisting makes it valid WGSL, and the
    // device reports no error compiling it.
    expect(sgCode!.indexOf('enable subgroups;')).toBeGreaterThan(0);
    expect(hoistEnables(sgCode!).startsWith('enable subgroups;\n')).toBe(true);
    checkGpuErrors();
    expect(Array.from(await run(true))).toEqual(Array.from(first));
    const tree = await run(false);
    expect(compiled.some((c) => c.includes('partial[localId.x + s]'))).toBe(true);
    for (const v of [first, tree]) {
      const r = compareClose(v, rmsNormReference(xv, wv, C, eps), 1e-5, 1e-5);
      expect(r.worst, `max |Δ| ${r.maxAbs}`).toBeLessThanOrEqual(0);
    }
    // Cross-entropy's merge: a row whose max sits in one lane's stride only, and a wide row.
    const V = 5003;
    const zv = lcg(2 * V, 13, { scale: 4 });
    zv[4321] = 40;
    const z = tf.tensor2d(zv, [2, V]), tgt = tf.tensor1d([4321, 17], 'int32');
    const lse = async (sg: boolean) => {
      tf.env().set(SUBGROUP_FLAG, sg);
      const out = softmaxXentWebGpu(z, tgt, 0, 1)!;
      const v = Array.from((await out.loss.data()) as Float32Array);
      tf.dispose([out.loss, out.dz]);
      return v;
    };
    const [a, b] = [await lse(true), await lse(false)];
    expect(compiled.some((c) => c.includes('subgroupMax'))).toBe(true);
    for (const [i, v] of a.entries()) expect(Math.abs(v - b[i])).toBeLessThan(2e-5 * Math.max(1, Math.abs(b[i])));
    checkGpuErrors();
    tf.dispose([x, w, z, tgt]);
  });
});
