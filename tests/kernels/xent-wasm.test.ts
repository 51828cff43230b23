/**
 * The wasm softmax cross-entropy heap kernel (kernels/xent/xent-wasm.ts over heap.c's xent_rows) against the same
 * plain-TypeScript oracle as the WGSL kernel: vocabularies that are no multiple of the 4-lane vector (V = 1000 + 3,
 * 4099), a target of −1 (loss 0, dz 0), targets at both ends of the row and one in the scalar tail, logits spread
 * over ±8. Tolerance 2e-5 absolute + relative (f32 exp, sums in f64 over <= 4099 terms). It declines what it does
 * not do: a softcap, another backend, the heap module switched off.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { HEAP_WASM_FLAG } from '../../src/kernels/heap/heap-module';
import { softmaxXentReference } from '../../src/kernels/xent/reference';
import { softmaxXentWasm } from '../../src/kernels/xent/xent-wasm';
import { initBackend } from '../../src/platform/backend';
import { compareClose } from '../helpers/fixtures';
import { lcg } from '../helpers/random';

async function check(got: tf.Tensor, want: ArrayLike<number>, tol = 2e-5): Promise<void> {
  const r = compareClose((await got.data()) as Float32Array, want, tol, tol);
  expect(r.worst, `max |Δ| ${r.maxAbs} at ${r.at}`).toBeLessThanOrEqual(0);
}

describe('softmax cross-entropy heap kernel on wasm', () => {
  beforeAll(async () => {
    expect((await initBackend({ prefer: ['wasm'] })).name).toBe('wasm');
  });

  it.each([1003, 4099])('V %i: per-row loss and dz equal the reference', async (V) => {
    const targets = Int32Array.from([3, -1, V - 1, 0, 777, V - 2]);
    const n = targets.length;
    const zv = lcg(n * V, 7, { scale: 8 });
    const z = tf.tensor2d(zv, [n, V]), tgt = tf.tensor1d(targets, 'int32');
    const before = tf.memory().numTensors;
    const out = softmaxXentWasm(z, tgt, 0, 1 / 4)!;
    expect(out).not.toBeNull();
    const ref = softmaxXentReference(zv, targets, V, 0, 1 / 4);
    await check(out.loss, ref.loss);
    await check(out.dz, ref.dz);
    expect(((await out.dz.data()) as Float32Array).subarray(V, 2 * V).every((v) => v === 0)).toBe(true); // ignored row
    tf.dispose([out.loss, out.dz]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([z, tgt]);
  });

  it('declines a softcap, the heap module switched off, and other backends', async () => {
    const z = tf.zeros([2, 5]), tgt = tf.tensor1d([1, 2], 'int32');
    expect(softmaxXentWasm(z, tgt, 30, 1)).toBeNull();
    tf.env().set(HEAP_WASM_FLAG, false);
    expect(softmaxXentWasm(z, tgt, 0, 1)).toBeNull();
    tf.env().set(HEAP_WASM_FLAG, true);
    tf.dispose([z, tgt]);
    await initBackend({ prefer: ['cpu'] });
    const zc = tf.zeros([2, 5]), tc = tf.tensor1d([1, 2], 'int32');
    expect(softmaxXentWasm(zc, tc, 0, 1)).toBeNull();
    tf.dispose([zc, tc]);
  });
});
