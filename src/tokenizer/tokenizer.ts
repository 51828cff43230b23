/**
 * One tokenizer object over an HF `tokenizer.json` (+ optional `tokenizer_config.json`), run by
 * @huggingface/tokenizers (the transformers.js tokenizer stack, same ids as HF's Rust tokenizers).
 * Inputs are the parsed JSON objects: this module never fetches or reads files, and never imports model/.
 * Special tokens come from tokenizer_config.json (strings or serialised AddedToken objects), as transformers reads
 * them. Not handled: text pairs, truncation/padding (the data pipeline does those), slow-only (sentencepiece) files.
 */
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';

type Json = Record<string, unknown>;

export class TokenizerError extends Error {
  override name = 'TokenizerError';
}

export interface EncodeOptions {
  /** Run the post-processor (e.g. Llama's leading `<s>`). Default true, as HF `encode`. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Drop special tokens (bos/eos/pad/...) from the text. Default false, as HF `decode`. */
  skipSpecialTokens?: boolean;
}

/** tokenizer_config.json stores a special token as "<s>" or as {"content": "<s>", ...} (an AddedToken). */
function tokenString(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Json).content === 'string') return (v as Json).content as string;
  return null;
}

/** chat_template is a string, or a list of {name, template} of which 'default' is used (as transformers does). */
function chatTemplateOf(config: Json): string | null {
  const t = config.chat_template;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const named = t as { name?: string; template?: string }[];
    return (named.find((x) => x.name === 'default') ?? named[0])?.template ?? null;
  }
  return null;
}

export class TextTokenizer {
  private readonly hf: HfTokenizer;
  /** Jinja chat template from tokenizer_config.json, or null (callers fall back to the Alpaca template). */
  readonly chatTemplate: string | null;
  readonly bosToken: string | null;
  readonly eosToken: string | null;
  readonly padToken: string | null;
  readonly unkToken: string | null;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  /** Number of ids, added tokens included (max id + 1). Can be below the model's (padded) vocab_size. */
  readonly vocabSize: number;
  /** True when encode(text) with special tokens starts with bos (Llama: yes; Qwen2, GPT-2: no). */
  readonly addsBos: boolean;

  constructor(tokenizerJson: Json, tokenizerConfig: Json | null = null) {
    if (!tokenizerJson || typeof tokenizerJson !== 'object' || !tokenizerJson.model) {
      throw new TokenizerError('tokenizer.json has no "model" section (not an HF fast-tokenizer file?)');
    }
    const config = tokenizerConfig ?? {};
    try {
      // tokenizers.js requires every top-level section to exist; HF files may omit null ones.
      const full = { added_tokens: [], normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, ...tokenizerJson };
      this.hf = new HfTokenizer(full, config);
    } catch (e) {
      throw new TokenizerError(`tokenizer.json could not be loaded: ${(e as Error).message}`);
    }
    this.chatTemplate = chatTemplateOf(config);
    this.bosToken = tokenString(config.bos_token);
    this.eosToken = tokenString(config.eos_token);
    this.padToken = tokenString(config.pad_token);
    this.unkToken = tokenString(config.unk_token);
    const id = (t: string | null) => (t === null ? null : (this.hf.token_to_id(t) ?? null));
    this.bosTokenId = id(this.bosToken);
    this.eosTokenId = id(this.eosToken);
    this.padTokenId = id(this.padToken);
    let max = -1;
    for (const i of this.hf.get_vocab(true).values()) max = Math.max(max, i);
    this.vocabSize = max + 1;
    this.addsBos = this.bosTokenId !== null && this.hf.encode('a', { add_special_tokens: true }).ids[0] === this.bosTokenId;
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    return this.hf.encode(text, { add_special_tokens: opts.addSpecialTokens ?? true }).ids;
  }

  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    // tokenizers.js throws on an empty list; HF returns ''.
    if (ids.length === 0) return '';
    return this.hf.decode(Array.from(ids), { skip_special_tokens: opts.skipSpecialTokens ?? false });
  }

  /** The token strings (e.g. '▁Hello'), for debugging and tests. */
  tokenize(text: string): string[] {
    return this.hf.tokenize(text, { add_special_tokens: false });
  }

  tokenToId(token: string): number | null {
    return this.hf.token_to_id(token) ?? null;
  }

  idToToken(id: number): string | null {
    return this.hf.id_to_token(id) ?? null;
  }

  /** Ids of every special added token (bos, eos, pad, chat markers). */
  specialIds(): number[] {
    return [...this.hf.get_added_tokens_decoder().values()].filter((t) => t.special).map((t) => t.id);
  }
}

/** Loads from parsed JSON: `tokenizer.json` and, when present, `tokenizer_config.json`. */
export function loadTokenizer(tokenizerJson: Json, tokenizerConfig: Json | null = null): TextTokenizer {
  return new TextTokenizer(tokenizerJson, tokenizerConfig);
}
