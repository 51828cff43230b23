/**
 * Seeded dropout with a counter-based mask: elements 2p and 2p + 1 take the low and high 16 bits of
 * h_p = fmix32(seed ⊕ p·0x9e3779b9) (murmur3's 32-bit finaliser), and element i is kept iff its 16 bits are at least
 * ⌈rate · 2^16⌉, so the rate is resolved to 1/65536; kept values are scaled by 1 / (1 − rate), as torch does. The
 * mask is a pure function of (seed, i): the same seed gives the same mask in a forward, its recomputation and a
 * hand-written backward (model/fused-block.ts), with no state and no mask kept in memory.
 *
 * tf.dropout draws its mask from tfjs's randomUniform (seedrandom's Alea, one JS call per element, about 20 ns):
 * on SmolLM2-135M at b4 × 256 with LoRA on seven projections that was 5.7 M draws per layer per pass, about 3 s of a
 * training step per pass. Here, on wasm, one pass over tfjs's heap computes the mask and the product in place
 * ('WebiftDropout', with the same kernel on dy as its gradient), one hash per two elements: heap.c's SIMD loop
 * (kernels/heap), or the TypeScript loop below where that module is off; elsewhere the mask is built on the host
 * and multiplied in (tfjs derives that gradient). `dropoutMaskReference` is the oracle.
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapKernels, heapOffset } from '../heap/heap-module';
import { heapF32, registerHeapKernel } from '../wasm-heap';

const KERNEL = 'WebiftDropout';

/** h_p: murmur3's fmix32 over seed ⊕ p·0x9e3779b9, as an unsigned 32-bit value. */
function pairHash(seed: number, p: number): number {
  let h = seed ^ Math.imul(p, 0x9e3779b9);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The 16-bit threshold: an element is kept iff its 16 bits are at least this. */
function threshold(rate: number): number {
  return Math.ceil(rate * 65536);
}

/** The multiplier of every element: 0 (dropped) or 1 / (1 − rate). Written element by element, as the spec reads. */
export function dropoutMaskReference(n: number, rate: number, seed: number): Float32Array {
  const scale = 1 / (1 - rate), cut = threshold(rate);
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const h = pairHash(seed, Math.floor(i / 2));
    const bits = i % 2 === 0 ? h % 65536 : Math.floor(h / 65536);
    m[i] = bits >= cut ? scale : 0;
  }
  return m;
}

/** y = x · mask and, when given, y2 = x2 · mask (one hash per two elements, shared by both arrays). */
function applyMask(rate: number, seed: number, x: Float32Array, y: Float32Array, x2?: Float32Array, y2?: Float32Array): void {
  const scale = Math.fround(1 / (1 - rate)), cut = threshold(rate);
  const n = x.length, even = n - (n % 2);
  for (let i = 0; i < even; i += 2) {
    const h = pairHash(seed, i >>> 1);
    const k0 = (h & 0xffff) >= cut ? scale : 0, k1 = h >>> 16 >= cut ? scale : 0;
    y[i] = x[i] * k0;
    y[i + 1] = x[i + 1] * k1;
    if (x2) {
      y2![i] = x2[i] * k0;
      y2![i + 1] = x2[i + 1] * k1;
    }
  }
  if (even < n) {
    const k0 = (pairHash(seed, even >>> 1) & 0xffff) >= cut ? scale : 0;
    y[even] = x[even] * k0;
    if (x2) y2![even] = x2[even] * k0;
  }
}

function register(): void {
  registerHeapKernel<{ rate: number; seed: number }>(KERNEL, (backend, inputs, { rate, seed }) => {
    const { x, y } = inputs; // y: a second array that takes the same mask
    const outs = (y ? [x, y] : [x]).map((t) => backend.makeOutput(t.shape, 'float32'));
    const k = heapKernels(backend);
    if (k) {
      const at = (t: tf.TensorInfo) => heapOffset(backend, t);
      k.dropout(at(x), at(outs[0]), y ? at(y) : 0, y ? at(outs[1]) : 0, tf.util.sizeFromShape(x.shape), seed >>> 0, threshold(rate), Math.fround(1 / (1 - rate)));
      return y ? outs : outs[0];
    }
    // Views after every makeOutput: an allocation may have grown the heap.
    applyMask(rate, seed, heapF32(backend, x), heapF32(backend, outs[0]), y && heapF32(backend, y), y && heapF32(backend, outs[1]));
    return y ? outs : outs[0];
  });
}

/**
 * x and y (same shape) with the same mask applied, no gradient: for hand-written backwards, which need the dropped
 * input and the masked gradient of one projection at once (one pass of the hash for both).
 */
export function seededDropoutPair(x: tf.Tensor, y: tf.Tensor, rate: number, seed: number): [tf.Tensor, tf.Tensor] {
  if (!(rate > 0)) return [x, y];
  if (tf.getBackend() !== 'wasm' || x.dtype !== 'float32' || y.dtype !== 'float32') {
    const m = tf.tensor(dropoutMaskReference(x.size, rate, seed), x.shape);
    return [tf.mul(x, m), tf.mul(y, m)];
  }
  register();
  return tf.engine().runKernel(KERNEL, { x, y }, { rate, seed } as unknown as tf.NamedAttrMap) as [tf.Tensor, tf.Tensor];
}

export function seededDropout(x: tf.Tensor, rate: number, seed: number): tf.Tensor {
  if (!(rate > 0)) return x;
  if (rate >= 1) throw new Error(`dropout rate must be in [0, 1) (got ${rate})`);
  if (tf.getBackend() !== 'wasm' || x.dtype !== 'float32') return tf.mul(x, tf.tensor(dropoutMaskReference(x.size, rate, seed), x.shape));
  register();
  const attrs = { rate, seed } as unknown as tf.NamedAttrMap;
  const apply = (t: tf.Tensor) => tf.engine().runKernel(KERNEL, { x: t }, attrs) as tf.Tensor;
  if (!tf.engine().isTapeOn()) return apply(x);
  const f = tf.customGrad(((xi: tf.Tensor) => ({ value: apply(xi), gradFunc: (dy: tf.Tensor) => apply(dy) })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as tf.Tensor;
}
