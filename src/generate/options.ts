/**
 * GenerationOptions: HF GenerationConfig's decoding fields under camelCase names, with their defaults in one place
 * and one validation pass. Source: transformers 4.45.1 `GenerationConfig` (defaults and checks).
 * Beyond HF: OpenAI's frequency / presence penalties (the server maps them; HF has no such processor). min_p is
 * HF's MinPLogitsWarper (transformers >= 4.39). Not handled: num_return_sequences, beam groups / diversity penalty,
 * early_stopping other than false, beam sampling (doSample with numBeams > 1), typical / epsilon / eta, bad_words_ids.
 */

export interface GenerationOptions {
  /** Tokens to generate at most per row, e.g. 128 (HF max_new_tokens). */
  maxNewTokens: number;
  /** eos is forbidden (-inf) until this many tokens were generated (HF min_new_tokens). 0 = off. */
  minNewTokens: number;
  /** false: greedy argmax (or beam search); true: seeded multinomial sampling after the warpers. */
  doSample: boolean;
  /** Divides the logits before sampling, e.g. 0.7; 1 = off (HF default 1.0). Only used with doSample. */
  temperature: number;
  /** Keep the k most likely tokens (ties with the k-th kept); 0 = off. HF's default is 50. Only used with doSample. */
  topK: number;
  /** Nucleus sampling: keep the smallest set of tokens whose probability reaches topP; 1 = off. Only with doSample. */
  topP: number;
  /** >1 penalises every token already in the row (prompt included), e.g. 1.2; 1 = off. */
  repetitionPenalty: number;
  /** Forbid repeating any n-gram of this size already in the row (prompt included); 0 = off. */
  noRepeatNgramSize: number;
  /** OpenAI frequency_penalty: subtracted once per earlier occurrence in the generated tokens, e.g. 0.5; 0 = off. */
  frequencyPenalty: number;
  /** OpenAI presence_penalty: subtracted once from every token already generated, e.g. 0.5; 0 = off. */
  presencePenalty: number;
  /** Min-p sampling: drop tokens less likely than minP times the top token's probability, e.g. 0.05; 0 = off. Only with doSample. */
  minP: number;
  /** Beam width; 1 = greedy / sampling. */
  numBeams: number;
  /** Beam score = sum logprobs / generatedLength ** lengthPenalty; > 0 favours longer outputs. */
  lengthPenalty: number;
  /** Token ids that end a row; null = the model's config eos ids, [] = never stop on eos. */
  eosTokenIds: number[] | null;
  /** Id fed for rows that already finished in a batch; null = config pad id, else the first eos id, else 0. */
  padTokenId: number | null;
  /** A row stops as soon as its decoded text contains one of these; the text is cut before it. Needs `decode`. */
  stopStrings: string[];
  /** Seed of the sampling PRNG: the same seed, prompt and options give the same tokens. */
  seed: number;
  /** true: KV cache, one new token per step; false: recompute the whole sequence each step (slow, a reference). */
  useCache: boolean;
}

export const DEFAULT_GENERATION: GenerationOptions = {
  maxNewTokens: 128,
  minNewTokens: 0,
  doSample: false,
  temperature: 1.0,
  topK: 50,
  topP: 1.0,
  repetitionPenalty: 1.0,
  noRepeatNgramSize: 0,
  frequencyPenalty: 0,
  presencePenalty: 0,
  minP: 0,
  numBeams: 1,
  lengthPenalty: 1.0,
  eosTokenIds: null,
  padTokenId: null,
  stopStrings: [],
  seed: 0,
  useCache: true,
};

/** Options after defaults and model fallbacks: eos and pad ids are concrete. */
export interface ResolvedGeneration extends Omit<GenerationOptions, 'eosTokenIds' | 'padTokenId'> {
  eosTokenIds: number[];
  padTokenId: number;
}

export class GenerationOptionsError extends Error {
  override name = 'GenerationOptionsError';
}

/** What the model's config contributes when the options leave eos / pad open. */
export interface ModelTokenDefaults {
  eosTokenIds: number[];
  padTokenId: number | null;
}

function check(ok: boolean, msg: string): void {
  if (!ok) throw new GenerationOptionsError(msg);
}

/** Fills defaults, falls back to the model's eos / pad ids, and rejects values HF would reject. */
export function resolveOptions(opts: Partial<GenerationOptions>, model: ModelTokenDefaults = { eosTokenIds: [], padTokenId: null }): ResolvedGeneration {
  const o = { ...DEFAULT_GENERATION, ...opts };
  const isInt = (x: number) => Number.isInteger(x);
  check(isInt(o.maxNewTokens) && o.maxNewTokens >= 0, `maxNewTokens must be an integer >= 0, got ${o.maxNewTokens}`);
  check(isInt(o.minNewTokens) && o.minNewTokens >= 0, `minNewTokens must be an integer >= 0, got ${o.minNewTokens}`);
  check(o.temperature > 0 && Number.isFinite(o.temperature), `temperature must be a positive number, got ${o.temperature}`);
  check(isInt(o.topK) && o.topK >= 0, `topK must be an integer >= 0, got ${o.topK}`);
  check(o.topP > 0 && o.topP <= 1, `topP must be in (0, 1], got ${o.topP}`);
  check(o.repetitionPenalty > 0 && Number.isFinite(o.repetitionPenalty), `repetitionPenalty must be a positive number, got ${o.repetitionPenalty}`);
  check(isInt(o.noRepeatNgramSize) && o.noRepeatNgramSize >= 0, `noRepeatNgramSize must be an integer >= 0, got ${o.noRepeatNgramSize}`);
  check(Number.isFinite(o.frequencyPenalty), `frequencyPenalty must be a finite number, got ${o.frequencyPenalty}`);
  check(Number.isFinite(o.presencePenalty), `presencePenalty must be a finite number, got ${o.presencePenalty}`);
  check(o.minP >= 0 && o.minP <= 1, `minP must be in [0, 1], got ${o.minP}`);
  check(isInt(o.numBeams) && o.numBeams >= 1, `numBeams must be an integer >= 1, got ${o.numBeams}`);
  check(!(o.doSample && o.numBeams > 1), 'beam sampling (doSample with numBeams > 1) is not supported');
  check(isInt(o.seed), `seed must be an integer, got ${o.seed}`);
  const eos = o.eosTokenIds ?? model.eosTokenIds;
  const pad = o.padTokenId ?? model.padTokenId ?? eos[0] ?? 0;
  return { ...o, eosTokenIds: [...eos], padTokenId: pad, stopStrings: o.stopStrings.filter((s) => s.length > 0) };
}
