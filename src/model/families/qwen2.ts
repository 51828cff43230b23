/**
 * Qwen2 / Qwen2.5: the Llama block with a bias on q/k/v (none on o_proj). The bias is just present in the weight
 * table; the math is Llama's. Not handled: use_sliding_window=true (no released Qwen2.5 checkpoint enables it).
 */
import { gatedMlp, separateQkv, type FamilyImpl } from './family';

export const qwen2: FamilyImpl = { qkv: separateQkv, mlp: gatedMlp };
