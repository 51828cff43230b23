/**
 * Our attention kernel on the current backend (WGSL flash attention on webgpu, kernels/attention; attention.c on the
 * GEMM pool's threads on wasm) against tfjs's composed ops (ops.attention with our kernels switched off: batched
 * matmuls, softmax over a materialised (B, H, T, S) score tensor, a prebuilt causal bias), forward + backward: the
 * value and q, k, v gradients for an upstream gradient dy, causal, SmolLM2-135M's heads (H 9, Hkv 3, D 64) at T = 256,
 * B = 4. Quick mode on webgpu runs B = 1 (a software adapter is slow); the shape in the line says which B ran. On
 * wasm the peer (`ratio_vs_tfjs`) is tfjs as it ships, its batched matmuls on tfjs-wasm's own BatchMatMul, as the
 * dequant_matmul and cross_entropy lines' peers are. The line adds a harder peer: the same composed ops with their
 * batched matmuls on our GEMM (`ops_on_our_gemm_ms`, `ratio_vs_ops_on_our_gemm`), which isolates what the fused
 * kernel itself gains (causal skipping, no score tensor, no separate softmax passes).
 */
import type { Harness } from '../kernel-harness';
import { SHAPE } from '../kernel-harness';
import { tf } from '../../src/kernels/tf';
import { attention, MASK_VALUE, setFlashAttention } from '../../src/kernels/ops';
import { withTfjsMatmul } from '../../src/kernels/gemm/register';

export async function benchAttention(h: Harness, device: string): Promise<void> {
  const { T, H, Hkv, D } = SHAPE;
  const backend = tf.getBackend();
  const B = h.quick && backend === 'webgpu' ? 1 : SHAPE.B;
  const q = tf.randomNormal([B, H, T, D]), k = tf.randomNormal([B, Hkv, T, D]), v = tf.randomNormal([B, Hkv, T, D]);
  const dy = tf.randomNormal([B, H, T, D]);
  const maskData = new Float32Array(T * T).map((_, i) => (i % T > Math.floor(i / T) ? MASK_VALUE : 0));
  const bias = tf.tensor4d(maskData, [1, 1, T, T]);
  const causal = { mask: new Int32Array(B * T).fill(1), past: 0, keyStart: 0, window: null };
  const opts = { scale: D ** -0.5, bias, causal };
  const step = (on: boolean) => () => {
    setFlashAttention(on);
    const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => attention(a, b, c, on ? opts : { scale: opts.scale, bias }))([q, k, v], dy);
    return [value, ...grads];
  };
  try {
    const ours = await h.time(step(true));
    // On wasm our GEMM serves tfjs's BatchMatMul once registered: withTfjsMatmul puts tfjs-wasm's own back.
    const peer = await h.time(backend === 'wasm' ? () => withTfjsMatmul(step(false)) : step(false));
    const onGemm = backend === 'wasm' ? await h.time(step(false)) : null;
    // tfjs_own_matmul_ms and its ratio: last release's names for what is now the main peer, kept for readers of them.
    const extra = onGemm ? {
      ops_on_our_gemm_ms: +onGemm.toFixed(2), ratio_vs_ops_on_our_gemm: +(onGemm / ours).toFixed(2),
      tfjs_own_matmul_ms: +peer.toFixed(2), ratio_vs_tfjs_own_matmul: +(peer / ours).toFixed(2),
    } : {};
    h.line('attention', backend, device, `causal q [${B},${H},${T},${D}], kv [${B},${Hkv},${T},${D}]: value + dq, dk, dv`, ours, peer, extra);
  } finally {
    setFlashAttention(true);
    tf.dispose([q, k, v, dy, bias]);
  }
}
