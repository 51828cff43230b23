/**
 * The WGSL softmax cross-entropy (kernels/xent) on WebGPU (SwiftShader in CI) against its plain-TypeScript oracle:
 * vocabularies that are no multiple of the 256-thread workgroup (V = 1000, 4099), a target of −1 (loss 0, dz 0),
 * targets at both ends of the row, and a final softcap on one case; the per-row loss and dz. Then linearCrossEntropy
 * on webgpu, which runs the kernel per chunk (3 chunks of 2 tokens, one ignored target), against the same oracle fed
 * logits x·W computed here in f64: its loss and its gradient dx = dz·Wᵀ. Logits spread over ±8 so the softmax is far
 * from uniform. Tolerance 2e-5 absolute + relative (f32 exp and sums over <= 4099 terms). The row statistics run
 * with both merges: the workgroup tree and, where the device has subgroups (SwiftShader does), the subgroup one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { linearCrossEntropy } from '../../src/kernels/linear-xent';
import { softmaxXentReference } from '../../src/kernels/xent/reference';
import { softmaxXentWebGpu } from '../../src/kernels/xent/xent';
import { SUBGROUP_FLAG } from '../../src/kernels/gpu-features';
import { initBackend } from '../../src/platform/backend';
import { compareClose } from '../helpers/fixtures';
import { lcg } from '../helpers/random';

async function check(got: tf.Tensor | number, want: ArrayLike<number>, tol = 2e-5): Promise<void> {
  const g = typeof got === 'number' ? [got] : ((await got.data()) as Float32Array);
  const r = compareClose(g, want, tol, tol);
  expect(r.worst, `max |Δ| ${r.maxAbs} at ${r.at}`).toBeLessThanOrEqual(0);
}

describe.each([false, true])('softmax cross-entropy WGSL kernel (subgroups %s)', (subgroups) => {
  beforeAll(async () => {
    expect((await initBackend({ prefer: ['webgpu'] })).name).toBe('webgpu');
    tf.env().set(SUBGROUP_FLAG, subgroups);
  });

  it.each([[1000, 0], [4099, 0], [4099, 5]])('V %i, softcap %i: per-row loss and dz equal the reference', async (V, cap) => {
    const targets = Int32Array.from([3, -1, V - 1, 0, 777]);
    const n = targets.length;
    const zv = lcg(n * V, 7, { scale: 8 });
    const scale = 1 / 4;
    const z = tf.tensor2d(zv, [n, V]), tgt = tf.tensor1d(targets, 'int32');
    const out = softmaxXentWebGpu(z, tgt, cap, scale)!;
    expect(out).not.toBeNull();
    const ref = softmaxXentReference(zv, targets, V, cap, scale);
    await check(out.loss, ref.loss);
    await check(out.dz, ref.dz);
    const dz = (await out.dz.data()) as Float32Array;
    expect(dz.subarray(V, 2 * V).every((v) => v === 0)).toBe(true); // the ignored row
    tf.dispose([z, tgt, out.loss, out.dz]);
  });

  it('linearCrossEntropy on webgpu: loss and dx over 3 chunks equal the reference', async () => {
    const [N, C, V] = [6, 8, 1000];
    const xv = lcg(N * C, 1), wv = lcg(C * V, 2, { scale: 3 });
    const targets = Int32Array.from([5, 999, -1, 0, 512, 77]);
    const count = 5;
    const z = new Float32Array(N * V);
    for (let r = 0; r < N; r++) for (let v = 0; v < V; v++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += xv[r * C + c] * wv[c * V + v];
      z[r * V + v] = s;
    }
    const ref = softmaxXentReference(z, targets, V, 0, 1 / count);
    const wantDx = new Float64Array(N * C);
    for (let r = 0; r < N; r++) for (let c = 0; c < C; c++) {
      for (let v = 0; v < V; v++) wantDx[r * C + c] += ref.dz[r * V + v] * wv[c * V + v];
    }
    const x = tf.tensor2d(xv, [N, C]), w = tf.tensor2d(wv, [C, V]);
    const { value, grads } = tf.valueAndGrads((xi: tf.Tensor) => linearCrossEntropy(xi, { w }, { targets, count, chunkTokens: 2 }))([x]);
    await check(value, [ref.loss.reduce((a, b) => a + b, 0) / count], 1e-4);
    await check(grads[0], wantDx, 1e-4);
    tf.dispose([x, w, value, ...grads]);
  });
});
