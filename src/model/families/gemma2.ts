/**
 * Gemma 2: Gemma plus "sandwich" norms (post-attention and post-MLP RMSNorm, wired in transformer.ts), scores ×
 * query_pre_attn_scalar^-0.5, attention-logit and final-logit tanh softcapping, and a sliding window on even layers.
 */
import { gatedMlp, separateQkv, type FamilyImpl } from './family';

export const gemma2: FamilyImpl = { qkv: separateQkv, mlp: gatedMlp };
