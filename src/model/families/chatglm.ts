/**
 * ChatGLM-6B (THUDM modeling_chatglm.py, v1): BLOOM's per-head interleaved query_key_value ([H, 3, D] rows), 2-D RoPE
 * (the first half of each head rotated by the position id, the second by the block position id, rotate_half within
 * each half, float16-rounded frequencies in config.ts), a bidirectional prefix (glm-mask.ts), scores masked by
 * masked_fill with −10000·(l+1) after the query-key layer scaling (so a pad row is a uniform softmax, as in torch), and
 * GLM's residual on the normed input, a·α + Attn(a), with α = √56 (transformer.ts). tanh-GELU MLP with biases.
 * Positions come from the ids, so `positionIds` inputs are ignored; a KV cache must hold the ids of its slots, and
 * inputs given as embeddings (prompt learning) are refused.
 */
import { tf, type Tensor } from '../../kernels/tf';
import { applyRope, ropeHostTables } from '../../kernels/ops';
import { glmV1Layout } from '../glm-mask';
import { bloom } from './bloom';
import { plainMlp, type AttnArgs, type FamilyAttn, type FamilyImpl } from './family';

/** x (B, H, T, D): each half rotated with its own half of the tables. */
function rotate2d(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  const [x1, x2] = tf.split(x, 2, 3);
  const [c1, c2] = tf.split(cos, 2, 3);
  const [s1, s2] = tf.split(sin, 2, 3);
  return tf.concat([applyRope(x1, c1, s1), applyRope(x2, c2, s2)], 3);
}

function attn(a: AttnArgs): FamilyAttn {
  const { cfg, B, T, past } = a;
  if (cfg.glm?.version !== 1) throw new Error('chatglm: not a ChatGLM-6B config');
  // THUDM's forward needs input_ids for get_masks / get_position_ids too, so PEFT's prompt learning fails there as well.
  if (!a.ids) throw new Error('ChatGLM-6B derives its positions and attention mask from the token ids, and these inputs have slots without ids (embeddings, virtual tokens): prompt tuning, P-tuning and prefix tuning are not supported on it (LoRA, DoRA and IA3 are)');
  const S = past + T;
  const lay = glmV1Layout(cfg.glm, a.ids, a.mask, B, S, past);
  const pos = ropeHostTables(a.invFreq!, lay.pos, B, T), blk = ropeHostTables(a.invFreq!, lay.block, B, T);
  return {
    rope: {
      tables: {
        tensors() {
          const p = pos.tensors(), k = blk.tensors();
          return { cos: tf.concat([p.cos, k.cos], 3), sin: tf.concat([p.sin, k.sin], 3) };
        },
      },
      rotate: rotate2d,
    },
    bias(layer, keyStart, keys) {
      if (keyStart !== 0 || keys !== S) throw new Error(`chatglm: the attention must see all ${S} slots`);
      const m = tf.tensor4d(lay.masked, [B, 1, T, S]);
      // masked_fill(mask, -10000) on q·k / (√D·(l+1)), then × (l+1): masked scores are exactly −10000·(l+1).
      return { bias: tf.mul(m, -10000 * (layer + 1)), keep: tf.sub(1, m) };
    },
  };
}

export const chatglm: FamilyImpl = { qkv: bloom.qkv, mlp: plainMlp, attn };
