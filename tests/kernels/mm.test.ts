/**
 * The plain-product matmul gradients (kernels/ops.ts mm, and linear's frozen-weight path) against tfjs's own
 * matMul gradient as the reference, on awkward (non-tile-multiple) shapes, 2-D and batched 4-D. Tolerance 1e-5.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { linear, mm } from '../../src/kernels/ops';
import { initBackend } from '../../src/platform/backend';
import { compareClose } from '../helpers/fixtures';

async function close(a: tf.Tensor, b: tf.Tensor) {
  expect(a.shape).toEqual(b.shape);
  const r = compareClose((await a.data()) as Float32Array, (await b.data()) as Float32Array, 1e-5, 1e-5);
  expect(r.worst, `max |Δ| ${r.maxAbs}`).toBeLessThanOrEqual(0);
}

describe('mm gradients', () => {
  beforeAll(async () => {
    await initBackend({ prefer: ['cpu'] });
  });

  it.each([
    [[7, 5], [5, 3]],
    [[2, 3, 9, 4], [2, 3, 4, 6]],
  ])('mm %j @ %j: value and both gradients equal matMul', async (sa, sb) => {
    const a = tf.randomNormal(sa, 0, 1, 'float32', 1), b = tf.randomNormal(sb, 0, 1, 'float32', 2);
    const w = tf.randomNormal([...sa.slice(0, -1), sb[sb.length - 1]], 0, 1, 'float32', 3); // weights the loss
    const before = tf.memory().numTensors;
    const ours = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(mm(x, y), w)))([a, b]);
    const ref = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y), w)))([a, b]);
    await close(mm(a, b), tf.matMul(a, b));
    await close(ours[0], ref[0]);
    await close(ours[1], ref[1]);
    tf.dispose([...ours, ...ref]);
    expect(tf.memory().numTensors).toBeGreaterThanOrEqual(before);
  });

  it('linear: a frozen weight passes the input gradient only; a trainable one gets its own', async () => {
    const x = tf.randomNormal([6, 5], 0, 1, 'float32', 4);
    const wFrozen = tf.randomNormal([5, 7], 0, 1, 'float32', 5);
    const wVar = tf.variable(tf.clone(wFrozen), true);
    const g = tf.randomNormal([6, 7], 0, 1, 'float32', 6);
    const dxFrozen = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(linear(t, wFrozen), g)))(x);
    const dxRef = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.matMul(t, wFrozen), g)))(x);
    await close(dxFrozen, dxRef);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(linear(x, wVar), g)) as tf.Scalar, [wVar]);
    await close(grads[wVar.name], tf.matMul(x, g, true, false));
  });
});
