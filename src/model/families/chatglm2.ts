/**
 * ChatGLM2/3-6B (THUDM modeling_chatglm.py, v2): query_key_value rows [q | k | v] with a bias and multi-query groups
 * (query head h uses group h / (H/G)), RoPE on the first half of each head in adjacent pairs (config.ts: rotaryDim,
 * interleaved), SwiGLU with dense_h_to_4h rows [gate | up], RMSNorm, pre-norm residuals: Phi-3's projections. The
 * only mask difference from the causal default: with padding and no cache a pad query row sees every slot (glm-mask.ts).
 */
import { tf } from '../../kernels/tf';
import { MASK_VALUE } from '../../kernels/ops';
import { glmV2Bias } from '../glm-mask';
import { phi3 } from './phi3';
import type { AttnArgs, FamilyAttn, FamilyImpl } from './family';

function attn(a: AttnArgs): FamilyAttn {
  const { B, T, past, mask } = a;
  return { bias: (_layer, keyStart, S) => ({ bias: tf.tensor4d(glmV2Bias(mask, B, T, past, keyStart, S, MASK_VALUE), [B, 1, T, S]) }) };
}

export const chatglm2: FamilyImpl = { qkv: phi3.qkv, mlp: phi3.mlp, attn };
