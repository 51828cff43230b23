/**
 * A small BPE tokenizer of our own, trained on a corpus and written as an HF `tokenizer.json` in the legacy Llama
 * layout (the same layout llama2c-tokenizer.ts emits): '▁' for spaces, BPE with byte_fallback over 256 <0xNN> tokens,
 * so any text encodes. Specials <unk>=0, <s>=1 (bos, added by the post-processor), </s>=2 (eos), <pad>=3.
 * Training is plain word-level BPE (Sennrich et al. 2016): words are '▁'-started runs, merges never cross words and
 * never touch a digit (digits stay single tokens, as Llama splits them, which arithmetic needs). Not handled: unigram.
 */
import { SPECIAL_FLAGS, llamaBpeTokenizerJson } from './llama-bpe-json';

export const BYTE_LEVEL_SPECIALS = ['<unk>', '<s>', '</s>', '<pad>'];
const isDigit = (s: string) => /[0-9]/.test(s);

export interface BpeVocab {
  /** id -> piece: specials, <0x00>..<0xFF>, single characters, then merged pieces in merge order. */
  pieces: string[];
  merges: [string, string][];
}

/** Normalises as the tokenizer.json normalizer does: a leading '▁', spaces -> '▁'. */
export function normalizeText(text: string): string {
  return `▁${text}`.replaceAll(' ', '▁');
}

/** Words: a '▁' starts a new word, a newline is a word of its own. */
function words(normalized: string): string[] {
  return normalized.split(/(?=▁)|(\n)/).filter((w) => w);
}

/**
 * Trains `numMerges` merges on `texts`. Characters seen at least `minCharCount` times get their own id; rarer ones
 * fall back to bytes. Deterministic: ties between equally frequent pairs break by the pair's string order.
 */
export function trainBpe(texts: Iterable<string>, opts: { numMerges: number; minCharCount?: number }): BpeVocab {
  const freq = new Map<string, number>();
  for (const t of texts) for (const w of words(normalizeText(t))) freq.set(w, (freq.get(w) ?? 0) + 1);
  const charCount = new Map<string, number>();
  for (const [w, n] of freq) for (const c of Array.from(w)) charCount.set(c, (charCount.get(c) ?? 0) + n);
  const chars = [...charCount].filter(([, n]) => n >= (opts.minCharCount ?? 2)).map(([c]) => c).sort();
  const known = new Set(chars);
  // Each word as a list of symbols; characters not in the vocabulary block merges around them.
  const entries = [...freq].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([w, n]) => ({ syms: Array.from(w), n }));
  const merges: [string, string][] = [];
  const pieces = new Set<string>(chars);
  for (let m = 0; m < opts.numMerges; m++) {
    const pairs = new Map<string, number>();
    for (const e of entries)
      for (let i = 0; i + 1 < e.syms.length; i++) {
        const a = e.syms[i], b = e.syms[i + 1];
        if (!known.has(a) || !known.has(b) || isDigit(a) || isDigit(b)) continue;
        const k = `${a}\u0000${b}`;
        pairs.set(k, (pairs.get(k) ?? 0) + e.n);
      }
    let best: string | null = null, bestN = 1;
    for (const [k, n] of pairs) if (n > bestN || (n === bestN && best !== null && k < best)) [best, bestN] = [k, n];
    if (best === null) break;
    const [a, b] = best.split('\u0000');
    const ab = a + b;
    merges.push([a, b]);
    pieces.add(ab);
    known.add(ab);
    for (const e of entries) {
      const out: string[] = [];
      for (let i = 0; i < e.syms.length; i++) {
        if (i + 1 < e.syms.length && e.syms[i] === a && e.syms[i + 1] === b) {
          out.push(ab);
          i++;
        } else out.push(e.syms[i]);
      }
      e.syms = out;
    }
  }
  const bytes = Array.from({ length: 256 }, (_, i) => `<0x${i.toString(16).toUpperCase().padStart(2, '0')}>`);
  const merged = [...new Set(merges.map(([a, b]) => a + b))];
  return { pieces: [...BYTE_LEVEL_SPECIALS, ...bytes, ...chars, ...merged], merges };
}

/** The tokenizer.json object for a trained vocabulary. */
export function bpeTokenizerJson(vocab: BpeVocab): Record<string, unknown> {
  return llamaBpeTokenizerJson(vocab.pieces, vocab.merges, BYTE_LEVEL_SPECIALS);
}

/** tokenizer_config.json: bos added, eos learned after responses, a real pad token. */
export function bpeTokenizerConfig(modelMaxLength: number): Record<string, unknown> {
  return {
    tokenizer_class: 'LlamaTokenizerFast',
    add_bos_token: true,
    add_eos_token: false,
    bos_token: '<s>',
    eos_token: '</s>',
    unk_token: '<unk>',
    pad_token: '<pad>',
    clean_up_tokenization_spaces: false,
    legacy: true,
    model_max_length: modelMaxLength,
    added_tokens_decoder: Object.fromEntries(BYTE_LEVEL_SPECIALS.map((content, i) => [String(i), { content, ...SPECIAL_FLAGS }])),
  };
}
