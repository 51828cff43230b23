/**
 * The WGSL RoPE (kernels/rope) on WebGPU (SwiftShader in CI) against its plain-TypeScript oracle, through the ops the
 * model calls (ops.applyRope, rope-interleaved's applyRopeInterleaved): both conventions, full and partial rotary
 * (D = 20 with R = 10: the last 10 channels pass through), per-batch and shared (Bc = 1) tables, shapes that are no
 * multiple of the 64-thread workgroup. Forward and the gradient for x under a fixed upstream dy; the oracle's gradient
 * is the transpose scattered term by term, the kernel's a gathered rotation by −θ. One case uses random tables (not a
 * rotation), where sin differs between pair members, so a backward that read sin at the wrong channel would show. The
 * partial rotate_half case also runs on the cpu backend (the composed fallback). Tolerance 1e-6 (a few f32 products).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { applyRope, ropeHostTables } from '../../src/kernels/ops';
import { applyRopeInterleaved, interleavedRopeHostTables } from '../../src/kernels/rope-interleaved';
import { ropeGradReference, ropeReference, type RopeShape, type RopeStyle } from '../../src/kernels/rope/reference';
import { initBackend } from '../../src/platform/backend';
import { compareClose } from '../helpers/fixtures';
import { lcg } from '../helpers/random';

async function check(got: tf.Tensor, want: Float32Array): Promise<void> {
  const r = compareClose((await got.data()) as Float32Array, want, 1e-6, 1e-6);
  expect(r.worst, `max |Δ| ${r.maxAbs} at ${r.at}`).toBeLessThanOrEqual(0);
}

/** Tables (Bc, 1, T, R): the model's host tables for positions 3, 4, … (offset by batch), or random values. */
function tables(style: RopeStyle, s: RopeShape, random: boolean): { cos: Float32Array; sin: Float32Array } {
  if (random) return { cos: lcg(s.Bc * s.T * s.R, 11), sin: lcg(s.Bc * s.T * s.R, 12) };
  const invFreq = Float32Array.from({ length: s.R / 2 }, (_, i) => 1 / 10000 ** ((2 * i) / s.R));
  const pos = Int32Array.from({ length: s.Bc * s.T }, (_, i) => 3 + i);
  const t = (style === 'half' ? ropeHostTables : interleavedRopeHostTables)(invFreq, pos, s.Bc, s.T).tensors();
  const out = { cos: t.cos.dataSync() as Float32Array, sin: t.sin.dataSync() as Float32Array };
  tf.dispose([t.cos, t.sin]);
  return out;
}

const cases: [string, RopeStyle, RopeShape, boolean][] = [
  ['rotate_half, full rotary, per-batch tables', 'half', { B: 2, H: 3, T: 5, D: 20, Bc: 2, R: 20 }, false],
  ['rotate_half, partial rotary 10 of 20, shared tables', 'half', { B: 2, H: 3, T: 7, D: 20, Bc: 1, R: 10 }, false],
  ['interleaved, partial rotary 10 of 20', 'interleaved', { B: 2, H: 3, T: 5, D: 20, Bc: 2, R: 10 }, false],
  ['interleaved, full rotary, random tables', 'interleaved', { B: 1, H: 5, T: 3, D: 12, Bc: 1, R: 12 }, true],
  ['rotate_half, partial rotary, random tables', 'half', { B: 2, H: 2, T: 3, D: 20, Bc: 2, R: 10 }, true],
];

async function run(style: RopeStyle, s: RopeShape, tab: { cos: Float32Array; sin: Float32Array }, xv: Float32Array, dyv: Float32Array) {
  const x = tf.tensor4d(xv, [s.B, s.H, s.T, s.D]), dy = tf.tensor4d(dyv, [s.B, s.H, s.T, s.D]);
  const cos = tf.tensor4d(tab.cos, [s.Bc, 1, s.T, s.R]), sin = tf.tensor4d(tab.sin, [s.Bc, 1, s.T, s.R]);
  const rope = (a: tf.Tensor) => (style === 'half' ? applyRope : applyRopeInterleaved)(a, cos, sin);
  const y = rope(x);
  const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(rope(a), dy)))([x]);
  await check(y, ropeReference(xv, tab.cos, tab.sin, s, style));
  await check(dx, ropeGradReference(dyv, tab.cos, tab.sin, s, style));
  tf.dispose([x, dy, cos, sin, y, dx]);
}

describe('RoPE WGSL kernel', () => {
  beforeAll(async () => {
    expect((await initBackend({ prefer: ['webgpu'] })).name).toBe('webgpu');
  });

  it.each(cases)('%s: forward and dx equal the reference', async (_name, style, s, random) => {
    const n = s.B * s.H * s.T * s.D;
    await run(style, s, tables(style, s, random), lcg(n, 1), lcg(n, 2));
  });

  // Last: it leaves the cpu backend on.
  it('the composed fallback (cpu backend) gives the same partial rotate_half and interleaved', async () => {
    expect((await initBackend({ prefer: ['cpu'] })).name).toBe('cpu');
    for (const [, style, s, random] of [cases[1], cases[2], cases[4]]) {
      const n = s.B * s.H * s.T * s.D;
      await run(style, s, tables(style, s, random), lcg(n, 1), lcg(n, 2));
    }
  });
});
