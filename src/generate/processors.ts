/**
 * Logits processors and warpers on one row of scores (a Float32Array of V, modified in place) and that row's
 * token history, in the order HF generate() applies them. Source: transformers 4.45.1 `logits_process.py`
 * (RepetitionPenalty, NoRepeatNGram, MinNewTokensLength, Temperature, TopK, TopP, MinP) and `_get_logits_processor`,
 * plus OpenAI's frequency / presence penalties (its "Parameter details" formula; vLLM counts generated tokens only,
 * as here). Not handled: bad words, sequence bias, forced tokens, typical / epsilon / eta. Sums run in float64
 * where torch sums in float32, so a top-p cut exactly at a rounding boundary may differ.
 */
import type { ResolvedGeneration } from './options';

export interface ProcessorContext {
  /** The row so far, as HF's input_ids row: the prompt with its left padding, then the generated tokens. */
  ids: ArrayLike<number>;
  /** Prompt slots (padding included); ids.length - promptLength tokens were generated. */
  promptLength: number;
}

export type LogitsProcessor = (scores: Float32Array, ctx: ProcessorContext) => void;

/** HF RepetitionPenaltyLogitsProcessor: every id in the row (pads included) gets s<0 ? s*p : s/p, once. */
export function repetitionPenalty(penalty: number): LogitsProcessor {
  return (scores, { ids }) => {
    const seen = new Set<number>();
    for (let i = 0; i < ids.length; i++) seen.add(ids[i]);
    for (const id of seen) scores[id] = scores[id] < 0 ? scores[id] * penalty : scores[id] / penalty;
  };
}

/** HF NoRepeatNGramLogitsProcessor: a token that would complete an n-gram already in the row gets -inf. */
export function noRepeatNgram(n: number): LogitsProcessor {
  return (scores, { ids }) => {
    const len = ids.length;
    if (len + 1 < n) return;
    // The (n-1)-token prefix the next token would extend: ids[len-n+1 .. len).
    const start = len - n + 1;
    for (let i = 0; i + n <= len; i++) {
      let same = true;
      for (let j = 0; j < n - 1 && same; j++) same = ids[i + j] === ids[start + j];
      if (same) scores[ids[i + n - 1]] = -Infinity;
    }
  };
}

/**
 * OpenAI's penalties: scores[j] -= c[j] * frequency + (c[j] > 0 ? presence : 0), where c[j] counts token j among the
 * generated tokens (the prompt does not count, as in vLLM; left padding is in the prompt slots).
 */
export function frequencyPresencePenalty(frequency: number, presence: number): LogitsProcessor {
  return (scores, { ids, promptLength }) => {
    const counts = new Map<number, number>();
    for (let i = promptLength; i < ids.length; i++) counts.set(ids[i], (counts.get(ids[i]) ?? 0) + 1);
    for (const [id, c] of counts) scores[id] -= c * frequency + presence;
  };
}

/** HF MinNewTokensLengthLogitsProcessor: eos ids get -inf while fewer than `min` tokens were generated. */
export function minNewTokens(min: number, eosIds: number[]): LogitsProcessor {
  return (scores, { ids, promptLength }) => {
    if (ids.length - promptLength < min) for (const e of eosIds) scores[e] = -Infinity;
  };
}

/** HF TemperatureLogitsWarper: scores / t. */
export function temperature(t: number): LogitsProcessor {
  return (scores) => {
    for (let i = 0; i < scores.length; i++) scores[i] = scores[i] / t;
  };
}

/** HF TopKLogitsWarper: -inf below the k-th largest score (ties with it survive); k is at least minKeep. */
export function topK(k: number, minKeep = 1): LogitsProcessor {
  return (scores) => {
    const kk = Math.min(Math.max(k, minKeep), scores.length);
    const sorted = Float32Array.from(scores).sort(); // ascending
    const kth = sorted[scores.length - kk];
    for (let i = 0; i < scores.length; i++) if (scores[i] < kth) scores[i] = -Infinity;
  };
}

/**
 * HF TopPLogitsWarper: sort ascending, softmax, cumulative sum; tokens whose cumulative probability is
 * <= 1 - p are removed, but the minKeep most likely always stay. Ties sort by index (torch.sort is unstable).
 */
export function topP(p: number, minKeep = 1): LogitsProcessor {
  return (scores) => {
    const V = scores.length;
    const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => scores[a] - scores[b] || a - b);
    let max = -Infinity;
    for (let i = 0; i < V; i++) if (scores[i] > max) max = scores[i];
    let sum = 0;
    for (let i = 0; i < V; i++) sum += Math.exp(scores[i] - max);
    let cum = 0;
    for (let r = 0; r < V - minKeep; r++) {
      const i = order[r];
      cum += Math.exp(scores[i] - max) / sum;
      if (cum > 1 - p) break; // cumulative sums only grow: every later rank is kept too
      scores[i] = -Infinity;
    }
  };
}

/**
 * HF MinPLogitsWarper: -inf for tokens whose probability is below p times the top token's. The top token always
 * survives (its probability is the maximum and p <= 1), which is HF's min_tokens_to_keep = 1.
 */
export function minP(p: number): LogitsProcessor {
  return (scores) => {
    let max = -Infinity;
    for (let i = 0; i < scores.length; i++) if (scores[i] > max) max = scores[i];
    // probs[i] / probs[top] = exp(scores[i] - max): compare that ratio with p, no normalisation needed.
    for (let i = 0; i < scores.length; i++) if (Math.exp(scores[i] - max) < p) scores[i] = -Infinity;
  };
}

/**
 * The pipeline HF's `_get_logits_processor` builds from these options: processors (repetition penalty,
 * no-repeat n-gram, min new tokens), then, only when sampling, warpers (temperature, top-k, top-p, min-p).
 * OpenAI's frequency / presence penalties run right after the repetition penalty, as vLLM orders its penalties.
 * Each stage is present only when it would change something, as in HF.
 */
export function buildProcessors(o: ResolvedGeneration): LogitsProcessor[] {
  const list: LogitsProcessor[] = [];
  if (o.repetitionPenalty !== 1) list.push(repetitionPenalty(o.repetitionPenalty));
  if (o.frequencyPenalty !== 0 || o.presencePenalty !== 0) list.push(frequencyPresencePenalty(o.frequencyPenalty, o.presencePenalty));
  if (o.noRepeatNgramSize > 0) list.push(noRepeatNgram(o.noRepeatNgramSize));
  if (o.minNewTokens > 0 && o.eosTokenIds.length > 0) list.push(minNewTokens(o.minNewTokens, o.eosTokenIds));
  if (o.doSample) {
    // HF keeps len(eos) + 1 tokens in beam sampling; plain sampling keeps 1 (beam sampling is refused in options).
    if (o.temperature !== 1) list.push(temperature(o.temperature));
    if (o.topK > 0) list.push(topK(o.topK, 1));
    if (o.topP < 1) list.push(topP(o.topP, 1));
    if (o.minP > 0) list.push(minP(o.minP));
  }
  return list;
}

export function applyProcessors(list: LogitsProcessor[], scores: Float32Array, ctx: ProcessorContext): void {
  for (const p of list) p(scores, ctx);
}
