/**
 * Phi-3: fused qkv_proj whose output rows are [q (H*D); k (Hkv*D); v (Hkv*D)], and fused gate_up_proj whose rows
 * are [gate (I); up (I)], computed as down(act(gate) * up). Not handled: longrope (128k) scaling.
 */
import { tf, type Tensor } from '../../kernels/tf';
import { act, splitHeads, type FamilyImpl, type LayerCtx } from './family';

export const phi3: FamilyImpl = {
  qkv(ctx: LayerCtx, h: Tensor) {
    const { cfg, B, T } = ctx;
    const qd = cfg.heads * cfg.headDim, kvd = cfg.kvHeads * cfg.headDim;
    const [q, k, v] = tf.split(ctx.lin('qkv', h), [qd, kvd, kvd], 2);
    return { q: splitHeads(q, B, T, cfg.heads, cfg.headDim), k: splitHeads(k, B, T, cfg.kvHeads, cfg.headDim), v: splitHeads(v, B, T, cfg.kvHeads, cfg.headDim) };
  },
  mlp(ctx: LayerCtx, h: Tensor) {
    const [gate, up] = tf.split(ctx.lin('gate_up', h), 2, 2);
    return ctx.lin('down', tf.mul(act(ctx.cfg, gate), up));
  },
};
