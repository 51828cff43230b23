/**
 * llama2.c `tokenizer.bin` -> an HF `tokenizer.json` + `tokenizer_config.json` equivalent to a Llama sentencepiece BPE
 * tokenizer (the legacy layout of Llama-2's tokenizer.json: Prepend/Replace normalizer, BPE with byte_fallback,
 * Replace/ByteFallback/Fuse/Strip decoder, a post-processor adding <s>).
 * tokenizer.bin (karpathy/llama2.c tokenizer.py `export`, read by run.c `build_tokenizer`): int32 max_token_length,
 * then per token f32 score, int32 byte length, UTF-8 bytes; '▁' was replaced by ' ', and <s>, </s> by '\n<s>\n', '\n</s>\n'.
 * Merges: every split of a piece into two pieces, ordered by the merged piece's score, as transformers'
 * generate_merges (convert_slow_tokenizer.py) does. Not handled: unigram sentencepiece models, user-defined symbols.
 */
import { SPECIAL_FLAGS, llamaBpeTokenizerJson } from './llama-bpe-json';

export interface Llama2cVocab {
  maxTokenLength: number;
  /** Pieces with sentencepiece's '▁' restored and ids 0..2 named <unk>, <s>, </s>. */
  pieces: string[];
  scores: Float32Array;
}

export class Llama2cTokenizerError extends Error {
  override name = 'Llama2cTokenizerError';
}

const SPECIALS = ['<unk>', '<s>', '</s>'];

/** Parses tokenizer.bin. With `vocabSize` (the checkpoint's), the entry count must match it exactly. */
export function parseLlama2cTokenizer(bytes: Uint8Array, vocabSize?: number, label = 'tokenizer.bin'): Llama2cVocab {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 4) throw new Llama2cTokenizerError(`${label}: ${bytes.byteLength} bytes, too short for the 4-byte header`);
  const maxTokenLength = dv.getInt32(0, true);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const pieces: string[] = [];
  const scores: number[] = [];
  let o = 4;
  while (o < bytes.byteLength && (vocabSize === undefined || pieces.length < vocabSize)) {
    if (o + 8 > bytes.byteLength) throw new Llama2cTokenizerError(`${label}: truncated inside the header of token ${pieces.length} (byte ${o} of ${bytes.byteLength})`);
    const score = dv.getFloat32(o, true);
    const len = dv.getInt32(o + 4, true);
    o += 8;
    if (len < 0 || len > maxTokenLength || o + len > bytes.byteLength) {
      throw new Llama2cTokenizerError(`${label}: token ${pieces.length} claims ${len} bytes at byte ${o} (max_token_length ${maxTokenLength}, file ${bytes.byteLength} bytes): truncated or not a llama2.c tokenizer`);
    }
    let text: string;
    try {
      text = utf8.decode(bytes.subarray(o, o + len));
    } catch {
      throw new Llama2cTokenizerError(`${label}: token ${pieces.length} is not valid UTF-8`);
    }
    o += len;
    pieces.push(pieces.length < 3 ? SPECIALS[pieces.length] : text.replaceAll(' ', '▁'));
    scores.push(score);
  }
  if (vocabSize !== undefined && (pieces.length !== vocabSize || o !== bytes.byteLength)) {
    throw new Llama2cTokenizerError(`${label}: holds ${pieces.length} tokens${o !== bytes.byteLength ? ' and trailing bytes' : ''}, but the checkpoint's vocab_size is ${vocabSize}`);
  }
  const seen = new Map<string, number>();
  pieces.forEach((p, i) => {
    if (seen.has(p)) throw new Llama2cTokenizerError(`${label}: tokens ${seen.get(p)} and ${i} are both '${p}'`);
    seen.set(p, i);
  });
  return { maxTokenLength, pieces, scores: Float32Array.from(scores) };
}

/**
 * BPE merges from a scored vocabulary: each piece contributes every (left, right) split whose halves are pieces,
 * ordered by the piece's score (high first), then longer left, then longer right; ties keep vocabulary order.
 * BPE applying the lowest-rank pair first then merges exactly what llama2.c's "best-scoring adjacent pair" loop merges.
 */
export function mergesFromScores(pieces: string[], scores: ArrayLike<number>): [string, string][] {
  const id = new Map(pieces.map((p, i) => [p, i]));
  const all: { l: string; r: string; score: number; nl: number; nr: number }[] = [];
  pieces.forEach((piece, i) => {
    if (i < SPECIALS.length) return;
    const chars = Array.from(piece); // Python slices code points
    const local: typeof all = [];
    for (let k = 1; k < chars.length; k++) {
      const l = chars.slice(0, k).join(''), r = chars.slice(k).join('');
      if (id.has(l) && id.has(r)) local.push({ l, r, score: scores[i], nl: k, nr: chars.length - k });
    }
    local.sort((a, b) => id.get(a.l)! - id.get(b.l)! || id.get(a.r)! - id.get(b.r)!);
    all.push(...local);
  });
  all.sort((a, b) => b.score - a.score || b.nl - a.nl || b.nr - a.nr); // Array.prototype.sort is stable
  return all.map((m) => [m.l, m.r]);
}

/** The tokenizer.json object (legacy Llama layout). */
export function llamaTokenizerJson(vocab: Llama2cVocab): Record<string, unknown> {
  return llamaBpeTokenizerJson(vocab.pieces, mergesFromScores(vocab.pieces, vocab.scores), SPECIALS);
}

/** tokenizer_config.json as LlamaTokenizer writes it (no chat template: llama2.c models are base models). */
export function llamaTokenizerConfig(modelMaxLength: number): Record<string, unknown> {
  return {
    tokenizer_class: 'LlamaTokenizer',
    add_bos_token: true,
    add_eos_token: false,
    bos_token: '<s>',
    eos_token: '</s>',
    unk_token: '<unk>',
    pad_token: null,
    clean_up_tokenization_spaces: false,
    legacy: true,
    model_max_length: modelMaxLength,
    added_tokens_decoder: Object.fromEntries(SPECIALS.map((content, i) => [String(i), { content, ...SPECIAL_FLAGS }])),
  };
}
