/**
 * BLOOM: fused query_key_value whose output is viewed as (H, 3, D) per token, so q/k/v are interleaved PER HEAD
 * (not [q; k; v] as in GPT-2). ALiBi instead of positions (bias built in transformer.ts), LayerNorm after the
 * embeddings, tanh-GELU MLP (dense_h_to_4h -> dense_4h_to_h). Tied head.
 */
import { tf, type Tensor } from '../../kernels/tf';
import { plainMlp, type FamilyImpl, type LayerCtx } from './family';

export const bloom: FamilyImpl = {
  qkv(ctx: LayerCtx, h: Tensor) {
    const { cfg, B, T } = ctx;
    const H = cfg.heads, D = cfg.headDim;
    const fused = tf.reshape(ctx.lin('qkv', h), [B, T, H, 3, D]);
    const [q, k, v] = tf.split(fused, 3, 3).map((x) => tf.transpose(tf.reshape(x, [B, T, H, D]), [0, 2, 1, 3])); // (B, H, T, D)
    return { q, k, v };
  },
  mlp: plainMlp,
};
