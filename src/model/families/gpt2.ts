/**
 * GPT-2: fused c_attn (Conv1D, stored [in, out]) split as [q; k; v], learned absolute positions (wpe, added in
 * transformer.ts), LayerNorm with bias, gelu_new MLP (c_fc -> c_proj). Tied head.
 */
import { tf, type Tensor } from '../../kernels/tf';
import { plainMlp, splitHeads, type FamilyImpl, type LayerCtx } from './family';

export const gpt2: FamilyImpl = {
  qkv(ctx: LayerCtx, h: Tensor) {
    const { cfg, B, T } = ctx;
    const [q, k, v] = tf.split(ctx.lin('qkv', h), 3, 2);
    return { q: splitHeads(q, B, T, cfg.heads, cfg.headDim), k: splitHeads(k, B, T, cfg.heads, cfg.headDim), v: splitHeads(v, B, T, cfg.heads, cfg.headDim) };
  },
  mlp: plainMlp,
};
