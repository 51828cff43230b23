/**
 * Our kernels against tfjs's composed ops on the same shapes, in the same process: one JSON line per kernel and
 * backend with `kernel`, `backend`, `ours_ms`, `tfjs_ms` and `ratio_vs_tfjs` (tfjs time / our time: above 1 means
 * ours is faster). Shapes are the SmolLM2-135M training step's (1,024 tokens, hidden 576, MLP 1,536, vocabulary
 * 49,152, 9 query and 3 kv heads of 64).
 * wasm (the CPU path):
 *   matmul          the threaded GEMM (kernels/gemm) vs tfjs-wasm's BatchMatMul; forward and both backward
 *                   products of a [1024, 576] x [576, 1536] linear, plus attention's batched products.
 *   dequant_matmul  an int4 g64 frozen linear, forward + input gradient: the one-pass dequant kernel and the
 *                   threaded GEMM vs tfjs ops decoding the words and tfjs's matmul.
 *   cross_entropy   the chunked lm_head + cross-entropy (kernels/linear-xent) vs tfjs's matMul, logSoftmax and
 *                   gather over the full logits, value and input gradient.
 *   attention       attention.c on the pool's threads vs the composed ops (bench/kernels/attention.ts).
 *   rope, norm      the heap-loop RoPE and RMSNorm kernels vs the composed ops (bench/kernels/rope.ts, rmsnorm.ts).
 * webgpu (when an adapter is there; SwiftShader only with --software-gpu, whose ratios are not GPU figures):
 *   the WGSL kernels: norm (RMSNorm and LayerNorm), attention, rope, cross_entropy (one logits chunk),
 *   dequant_matmul (the fused frozen-weight matmul), each vs the composed ops (bench/kernels/*.ts).
 * Usage: node --import ./bin/node-env.mjs bench/kernels.ts [--quick] [--software-gpu]
 */
import { parseArgs } from 'node:util';
import { harness, SHAPE } from './kernel-harness';
import { benchAttention } from './kernels/attention';
import { benchDequantMatmulWebgpu } from './kernels/dequant-matmul-webgpu';
import { benchLayernormWebgpu } from './kernels/layernorm-webgpu';
import { benchRmsNorm } from './kernels/rmsnorm';
import { benchRope } from './kernels/rope';
import { benchXentWebgpu } from './kernels/xent-webgpu';
import { tf } from '../src/kernels/tf';
import { gemmPool, withTfjsMatmul } from '../src/kernels/gemm/register';
import { linearCrossEntropy } from '../src/kernels/linear-xent';
import { frozenMatmul } from '../src/kernels/qmatmul';
import { QTensor } from '../src/kernels/qtensor';
import { initBackend } from '../src/platform/backend';
import { quantize } from '../src/quant/quantize';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, json: { type: 'boolean' }, 'software-gpu': { type: 'boolean' } }, strict: false });
const h = harness(!!values.quick);
const { time, line } = h;
const { N, C, F, V } = SHAPE;

const wasm = await initBackend({ prefer: ['wasm'] });
const threads = gemmPool()?.threads ?? 1;

{
  // One linear's three products (y = x·W, dx = dy·Wᵀ, dW = xᵀ·dy), then attention's (B·H = 36 of [256, 64]·[64, 256]).
  const x = tf.randomNormal([N, C]), w = tf.randomNormal([C, F]), dy = tf.randomNormal([N, F]);
  const q = tf.randomNormal([36, 256, 64]), k = tf.randomNormal([36, 256, 64]);
  const products = () => [tf.matMul(x, w), tf.matMul(dy, w, false, true), tf.matMul(x, dy, true, false), tf.matMul(q, k, false, true)];
  const ours = await time(products);
  const peer = await time(() => withTfjsMatmul(products));
  line('matmul', 'wasm', wasm.reason, `linear [${N},${C}]x[${C},${F}] fwd+bwd, attention 36x[256,64]x[64,256]`, ours, peer, { threads, gflops_ours: +((2 * (3 * N * C * F + 36 * 256 * 256 * 64)) / ours / 1e6).toFixed(1) });
  tf.dispose([x, w, dy, q, k]);
}

{
  const wv = Float32Array.from({ length: C * F }, (_, i) => Math.sin(i * 0.37) * 0.05);
  const qt = new QTensor(quantize(wv, C, F, { bits: 4, groupSize: 64, symmetric: true }));
  const x = tf.randomNormal([N, C]), g = tf.randomNormal([N, F]);
  const ours = await time(() => {
    const { value, grads } = tf.valueAndGrads((xi: tf.Tensor) => frozenMatmul(xi, qt))([x], g);
    return [value, ...grads];
  });
  const peer = await time(() => withTfjsMatmul(() => {
    const d = qt.dequantize(0, undefined, { ops: true });
    const { value, grads } = tf.valueAndGrads((xi: tf.Tensor) => tf.matMul(xi, d))([x], g);
    d.dispose();
    return [value, ...grads];
  }));
  line('dequant_matmul', 'wasm', wasm.reason, `int4 g64 [${C},${F}], x [${N},${C}], forward + dx`, ours, peer, { threads });
  tf.dispose([x, g]);
  qt.dispose();
}

{
  const x = tf.randomNormal([N, C], 0, 0.5), w = tf.randomNormal([C, V], 0, 0.05);
  const targets = Int32Array.from({ length: N }, (_, i) => (i * 7919) % V);
  const ours = await time(() => {
    const { value, grads } = tf.valueAndGrads((xi: tf.Tensor) => linearCrossEntropy(xi, { w }, { targets, count: N }))([x]);
    return [value, ...grads];
  });
  const onehot = tf.oneHot(tf.tensor1d(targets, 'int32'), V);
  const peer = await time(() => withTfjsMatmul(() => {
    const { value, grads } = tf.valueAndGrads((xi: tf.Tensor) => tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(tf.matMul(xi, w)), onehot), -1))))([x]);
    return [value, ...grads];
  }));
  line('cross_entropy', 'wasm', wasm.reason, `x [${N},${C}] x head [${C},${V}], value + dx`, ours, peer, { threads });
  tf.dispose([x, w, onehot]);
}

await benchAttention(h, wasm.reason);
await benchRope(h, wasm.reason);
await benchRmsNorm(h, wasm.reason);

let gpu: Awaited<ReturnType<typeof initBackend>> | null = null;
if (values['software-gpu']) process.env.WEBIFT_SOFTWARE_GPU = '1';
try {
  gpu = await initBackend({ prefer: ['webgpu'] });
} catch (e) {
  console.log(JSON.stringify({ bench: 'kernel', backend: 'webgpu', skipped: `no WebGPU adapter (${(e as Error).message.slice(0, 120)}); --software-gpu uses SwiftShader` }));
}
if (gpu) {
  await benchRmsNorm(h, gpu.reason);
  await benchLayernormWebgpu(h, gpu.reason);
  await benchAttention(h, gpu.reason);
  await benchRope(h, gpu.reason);
  await benchXentWebgpu(h, gpu.reason);
  await benchDequantMatmulWebgpu(h, gpu.reason);
}
