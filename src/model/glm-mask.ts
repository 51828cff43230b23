/**
 * ChatGLM's positions and attention masks, built on the host from the token ids and the padding.
 * v1 (ChatGLM-6B), as ChatGLMTokenizer._pad builds them for each row's real tokens (pads in front then get position 0
 * and are masked as rows and columns), which for an unpadded row is also what the model's own get_masks /
 * get_position_ids build: context = the tokens before the first <sop>; mask position = the first [MASK], else the
 * first [gMASK]; position = the index, but the mask position from <sop> on; block position = 0 in the context, then
 * 1, 2, 3, …; query i sees key j when j ≤ i or j is in the context (bidirectional prefix). A row without <sop> is all
 * context, as the tokenizer has it. v2 (ChatGLM2/3): causal + key padding, but a pad query row sees every slot
 * (get_masks' `full_mask -= padding_mask - 1`) when nothing is cached.
 */
import type { GlmSpec } from './config';

type V1 = Extract<GlmSpec, { version: 1 }>;

export interface GlmV1Layout {
  /** (B, T) position ids and block position ids of the T newest slots. */
  pos: Int32Array;
  block: Int32Array;
  /** (B, T, S) 1 where query slot past + t may NOT see key slot s (S = past + T), else 0. */
  masked: Float32Array;
}

/** v1 layout for slots [past, S) of (B, S) ids and padding mask. */
export function glmV1Layout(spec: V1, ids: Int32Array, mask: Int32Array, B: number, S: number, past: number): GlmV1Layout {
  const T = S - past;
  const pos = new Int32Array(B * T), block = new Int32Array(B * T);
  const masked = new Float32Array(B * T * S).fill(1);
  for (let b = 0; b < B; b++) {
    const slots: number[] = []; // slot of each real token, in order
    for (let s = 0; s < S; s++) if (mask[b * S + s] !== 0) slots.push(s);
    const tok = slots.map((s) => ids[b * S + s]);
    const sop = tok.indexOf(spec.sopTokenId);
    const ctx = sop < 0 ? tok.length : sop;
    const maskTok = tok.includes(spec.maskTokenId) ? spec.maskTokenId : spec.gmaskTokenId;
    const maskPos = tok.indexOf(maskTok);
    const rank = new Int32Array(S).fill(-1);
    slots.forEach((s, r) => (rank[s] = r));
    for (let t = 0; t < T; t++) {
      const r = rank[past + t];
      if (r < 0) continue; // a pad: positions 0, fully masked row
      pos[b * T + t] = r >= ctx && maskPos >= 0 ? maskPos : r;
      block[b * T + t] = r >= ctx ? r - ctx + 1 : 0;
      const row = (b * T + t) * S;
      for (let s = 0; s < S; s++) {
        const rk = rank[s];
        if (rk >= 0 && (rk <= r || rk < ctx)) masked[row + s] = 0;
      }
    }
  }
  return { pos, block, masked };
}

/** v2: (B, 1, T, S) additive bias over key slots [keyStart, keyStart + S) for queries [past, past + T). */
export function glmV2Bias(mask: Int32Array, B: number, T: number, past: number, keyStart: number, S: number, maskValue: number): Float32Array {
  const total = past + T;
  const out = new Float32Array(B * T * S);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) {
      const qi = past + t;
      const row = (b * T + t) * S;
      const padRow = past === 0 && mask[b * total + qi] === 0;
      for (let s = 0; s < S; s++) {
        const kj = keyStart + s;
        out[row + s] = padRow || (kj <= qi && mask[b * total + kj] !== 0) ? 0 : maskValue;
      }
    }
  return out;
}
