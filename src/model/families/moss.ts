/**
 * MOSS (moss-moon-003, OpenLMLab modeling_moss.py; the CodeGen block): fused qkv_proj whose output is viewed as
 * mp_num = 4 chunks of [q_local | v_local | k_local] (order q, V, K), each local part H/4 heads of D, so head
 * h = g·(H/4) + r lives in chunk g. GPT-J rotary, the parallel block and the lm_head bias are config-driven in
 * transformer.ts; the MLP is fc_in -> gelu_new -> fc_out with biases.
 */
import { tf, type Tensor } from '../../kernels/tf';
import { plainMlp, type FamilyImpl, type LayerCtx } from './family';

/** modeling_moss.py hard-codes the tensor-parallel layout of the original training run. */
const MP_NUM = 4;

export const moss: FamilyImpl = {
  qkv(ctx: LayerCtx, h: Tensor) {
    const { cfg, B, T } = ctx;
    const H = cfg.heads, D = cfg.headDim;
    const local = (H / MP_NUM) * D;
    const chunks = tf.reshape(ctx.lin('qkv', h), [B, T, MP_NUM, 3 * local]);
    // Each piece is (B, T, 4, local) = (B, T, H, D) once the chunk and in-chunk head axes are merged.
    const [q, v, k] = tf.split(chunks, 3, 3).map((x) => tf.transpose(tf.reshape(x, [B, T, H, D]), [0, 2, 1, 3])); // (B, H, T, D)
    return { q, k, v };
  },
  mlp: plainMlp,
};
