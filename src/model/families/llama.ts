/**
 * Llama (SmolLM2, TinyLlama, Llama-3.x): separate q/k/v, SwiGLU MLP, RMSNorm, RoPE (llama3 scaling in config.ts),
 * optionally tied embeddings. The architecture of arXiv:2302.13971 as transformers' modeling_llama.py (4.45) runs it.
 */
import { gatedMlp, separateQkv, type FamilyImpl } from './family';

export const llama: FamilyImpl = { qkv: separateQkv, mlp: gatedMlp };
