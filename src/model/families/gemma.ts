/**
 * Gemma: the Llama block with GeLU-tanh, RMSNorm scaled by (1 + w), embeddings × sqrt(hidden), tied head.
 * Those differences live in config.ts (normPlusOne, embedScale, act); the projections are Llama's.
 */
import { gatedMlp, separateQkv, type FamilyImpl } from './family';

export const gemma: FamilyImpl = { qkv: separateQkv, mlp: gatedMlp };
