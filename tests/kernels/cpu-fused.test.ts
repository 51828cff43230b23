/**
 * The CPU path's fused kernels over tfjs-wasm's heap (RMSNorm, RoPE, SwiGLU) against their plain-TypeScript oracles:
 * values and gradients on shapes that are not multiples of anything (C = 70, D = 20 with 10 rotating channels,
 * per-batch tables), both RoPE conventions, with the tape on (customGrad) and off (inference calls the kernel
 * directly); SwiGLU's kernel serves inference only. RMSNorm runs both ways: heap.c's SIMD loops and the TypeScript ones. Tolerance 1e-5 abs + 1e-5 rel: f32 outputs of f64 sums over at most 70 terms.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { applyRope, rmsNorm, swiglu, swigluWasmBackward } from '../../src/kernels/ops';
import { applyRopeInterleaved } from '../../src/kernels/rope-interleaved';
import { rmsNormGradReference, rmsNormReference } from '../../src/kernels/rmsnorm/reference';
import { ropeGradReference, ropeReference, type RopeStyle } from '../../src/kernels/rope/reference';
import { swigluReference } from '../../src/kernels/swiglu/reference';
import { HEAP_WASM_FLAG, heapKernels } from '../../src/kernels/heap/heap-module';
import type { WasmBackendLike } from '../../src/kernels/wasm-heap';
import { initBackend } from '../../src/platform/backend';
import { expectClose, lcg } from '../helpers/random';

/** Tolerance of every check here (see the header). */
const TOL = [1e-5, 1e-5] as const;

/** Kernels that ran in fn, by name. */
async function kernelsOf(fn: () => tf.Tensor): Promise<Set<string>> {
  const info = await tf.profile(() => fn());
  return new Set(info.kernels.map((k) => k.name));
}

describe('CPU fused kernels on wasm', () => {
  beforeAll(async () => {
    expect((await initBackend({ prefer: ['wasm'] })).name).toBe('wasm');
  });

  // Both implementations of the kernels: heap.c's SIMD loops (kernels/heap, the default) and the TypeScript loops.
  it.each([true, false])('RMSNorm (heap module %s): one kernel, value, dx and dw equal the oracle', async (heap) => {
    tf.env().set(HEAP_WASM_FLAG, heap);
    expect(heapKernels(tf.backend() as unknown as WasmBackendLike) !== null).toBe(heap);
    const [rows, C, eps] = [5, 70, 1e-6];
    const xv = lcg(rows * C, 1, { scale: 2 }), wv = lcg(C, 2, { scale: 2, offset: 1 }), dyv = lcg(rows * C, 3, { scale: 2 });
    const x = tf.tensor2d(xv, [rows, C]), w = tf.tensor1d(wv), dy = tf.tensor2d(dyv, [rows, C]);
    expect(await kernelsOf(() => rmsNorm(x, w, eps))).toEqual(new Set(['WebiftRmsNorm']));
    const y = rmsNorm(x, w, eps);
    await expectClose(y, rmsNormReference(xv, wv, C, eps), ...TOL, 'y');
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(rmsNorm(a, b, eps), dy)))([x, w]);
    const ref = rmsNormGradReference(xv, wv, dyv, C, eps);
    await expectClose(dx, ref.dx, ...TOL, 'dx');
    await expectClose(dw, ref.dw, ...TOL, 'dw');
    tf.dispose([x, w, dy, y, dx, dw]);
    tf.env().set(HEAP_WASM_FLAG, true);
  });

  it.each<[RopeStyle, number, number]>([['half', 20, 1], ['half', 10, 2], ['interleaved', 20, 2], ['interleaved', 10, 1]])('RoPE %s, %i rotating of 20 channels, tables for %i batch row(s): value and gradient', async (style, R, Bc) => {
    const [B, H, T, D] = [2, 3, 5, 20];
    const xv = lcg(B * H * T * D, 4, { scale: 2 }), cv = lcg(Bc * T * R, 5, { scale: 2 }), sv = lcg(Bc * T * R, 6, { scale: 2 }), dyv = lcg(B * H * T * D, 7, { scale: 2 });
    const x = tf.tensor4d(xv, [B, H, T, D]), cos = tf.tensor4d(cv, [Bc, 1, T, R]), sin = tf.tensor4d(sv, [Bc, 1, T, R]), dy = tf.tensor4d(dyv, [B, H, T, D]);
    const apply = style === 'half' ? applyRope : applyRopeInterleaved;
    expect(await kernelsOf(() => apply(x, cos, sin))).toEqual(new Set(['WebiftRope']));
    const shape = { B, H, T, D, Bc, R };
    const y = apply(x, cos, sin);
    await expectClose(y, ropeReference(xv, cv, sv, shape, style), ...TOL, 'y');
    const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(apply(a, cos, sin), dy)))([x]);
    await expectClose(dx, ropeGradReference(dyv, cv, sv, shape, style), ...TOL, 'dx');
    tf.dispose([x, cos, sin, dy, y, dx]);
  });

  it('SwiGLU backward (heap module): dg and du in one kernel equal tfjs autodiff of the composed ops', async () => {
    const n = 3 * 77; // 231: not a multiple of the 4 lanes
    const gv = lcg(n, 10, { scale: 6 }), uv = lcg(n, 11, { scale: 2 }), dsv = lcg(n, 12, { scale: 2 });
    gv[0] = 95; gv[1] = -95; // past exp's clamp both ways: σ is 1 and ~0 there
    const g = tf.tensor2d(gv, [3, 77]), u = tf.tensor2d(uv, [3, 77]), ds = tf.tensor2d(dsv, [3, 77]);
    const [dg, du] = swigluWasmBackward(g, u, ds)!;
    const [wantDg, wantDu] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.mul(tf.mul(a, tf.sigmoid(a)), b), ds)))([g, u]);
    await expectClose(dg, (await wantDg.data()) as Float32Array, ...TOL, 'dg');
    await expectClose(du, (await wantDu.data()) as Float32Array, ...TOL, 'du');
    // Without the module it is not offered (the fused block then composes the ops).
    tf.env().set(HEAP_WASM_FLAG, false);
    expect(swigluWasmBackward(g, u, ds)).toBeNull();
    tf.env().set(HEAP_WASM_FLAG, true);
    tf.dispose([g, u, ds, dg, du, wantDg, wantDu]);
  });

  it('SwiGLU: one kernel for decode-sized rows without a tape, the composed ops under one', async () => {
    const n = 3 * 77;
    const gv = lcg(n, 8, { scale: 2 }), uv = lcg(n, 9, { scale: 2 });
    const g = tf.tensor2d(gv, [3, 77]), u = tf.tensor2d(uv, [3, 77]);
    expect(await kernelsOf(() => swiglu(g, u))).toEqual(new Set(['WebiftSwiglu']));
    const y = swiglu(g, u);
    await expectClose(y, swigluReference(gv, uv), ...TOL, 'y');
    // Under a tape (training) the composed ops run: sigmoid and muls, no fused kernel.
    const taped = await tf.profile(() => tf.grads((a: tf.Tensor) => tf.sum(swiglu(a, u)))([g]));
    const names = new Set(taped.kernels.map((k) => k.name));
    expect(names.has('WebiftSwiglu')).toBe(false);
    expect(names.has('Sigmoid')).toBe(true);
    tf.dispose([g, u, y]);
  });
});
