/**
 * Bench: an int4 g64 frozen linear [576, 1536] (SmolLM2's MLP up-projection), forward + dx, on WebGPU: our fused
 * kernel (kernels/frozen-matmul: packed words decoded per tile inside the matmul, dx reading W in place) through
 * frozenMatmul, against tfjs composed (QTensor's tfjs-op decode of W, then tf.matMul and its autodiff, which
 * multiplies dy by W with a transpose flag). x [1024, 576]; in quick mode (a software adapter) the rows shrink to
 * 64, and the shape string says so.
 */
import { SHAPE, type Harness } from '../kernel-harness';
import { tf } from '../../src/kernels/tf';
import { frozenMatmul } from '../../src/kernels/qmatmul';
import { QTensor } from '../../src/kernels/qtensor';
import { quantize } from '../../src/quant/quantize';

export async function benchDequantMatmulWebgpu(h: Harness, device: string): Promise<void> {
  const N = h.quick ? 64 : SHAPE.N;
  const { C, F } = SHAPE;
  const wv = Float32Array.from({ length: C * F }, (_, i) => Math.sin(i * 0.37) * 0.05);
  const qt = new QTensor(quantize(wv, C, F, { bits: 4, groupSize: 64, symmetric: true }));
  const x = tf.randomNormal([N, C]), g = tf.randomNormal([N, F]);
  const ours = await h.time(() => {
    const { value, grads } = tf.valueAndGrads((xi: tf.Tensor) => frozenMatmul(xi, qt))([x], g);
    return [value, ...grads];
  });
  const peer = await h.time(() => {
    const d = qt.dequantize(0, undefined, { ops: true });
    const { value, grads } = tf.valueAndGrads((xi: tf.Tensor) => tf.matMul(xi, d))([x], g);
    d.dispose();
    return [value, ...grads];
  });
  h.line('dequant_matmul', 'webgpu', device, `int4 g64 [${C},${F}], x [${N},${C}], forward + dx${h.quick ? ' (quick: rows shrunk for a software adapter)' : ''}`, ours, peer);
  tf.dispose([x, g]);
  qt.dispose();
}
