/**
 * generate(): HF-style decoding of a left-padded prompt batch, streamed as one event per step. Greedy and
 * sampling follow transformers 4.45.1 `_sample` (processors on raw logits, finished rows fed pad with mask 1);
 * numBeams > 1 runs beam-search.ts and yields one final event (stop strings then cut that final hypothesis).
 * KV cache by default; every tensor is freed at the end, on abort and when the consumer stops early (try/finally),
 * except a cache handed to hooks.promptCache for the next prompt with the same prefix.
 * Not handled: num_return_sequences, streaming of beam search, assisted / speculative decoding.
 */
import type { LinearFn, Model } from '../model/types';
import { resolveOptions, type GenerationOptions, type ResolvedGeneration } from './options';
import { applyProcessors, buildProcessors } from './processors';
import { argmax, mulberry32, sampleToken } from './sampler';
import { RowStream, type FinishReason } from './stop';
import { modelStepper, type PrimeFn, type Stepper } from './step';
import { beamSearch } from './beam-search';
import type { PromptCache } from './prompt-cache';

export interface PromptBatch {
  /** (B, S) token ids; shorter prompts are left-padded to S (the pad id does not matter, the mask hides it). */
  ids: number[][];
  /** (B, S) 1 = token, 0 = left padding; default all ones. */
  attentionMask?: number[][];
}

export interface GenerateHooks {
  /** Generated ids -> text, for text deltas and stop strings (e.g. a tokenizer's decode with special tokens skipped). */
  decode?: (ids: number[]) => string;
  /** Linear hook passed to the forward (LoRA and friends). */
  linear?: LinearFn;
  /** Prompt / prefix tuning: primes the KV cache with the virtual tokens (peft's primeGeneration). */
  prime?: PrimeFn;
  signal?: AbortSignal;
  /** Raw next-token logits (rows, V) of each step before any processor, as HF output_logits (beam search: B*numBeams rows). */
  onLogits?: (step: number, logits: Float32Array) => void;
  /**
   * Keys and values of an earlier generation to start from where the prompt shares its prefix, and to leave this
   * one's in (prompt-cache.ts): one row, no beams, no priming; ignored otherwise.
   */
  promptCache?: PromptCache;
}

export interface GenerationEvent {
  step: number;
  /** Per row: tokens this event appended (one per step, none once the row finished; all of them for beam search). */
  tokenIds: number[][];
  /** Per row: text that became safe to show since the previous event ('' without `decode`). */
  textDelta: string[];
  /** Per row: why it finished, or null while it runs. */
  finishReasons: (FinishReason | null)[];
}

export interface GenerationResult {
  /** Per row: the generated ids (eos included when it ended the row), without the prompt. */
  tokens: number[][];
  /** Per row: the decoded text, cut before a stop string ('' without `decode`). */
  texts: string[];
  finishReasons: FinishReason[];
  /** Prompt tokens taken from hooks.promptCache instead of being fed (0 without one). */
  reusedPromptTokens: number;
}

function checkPrompt(p: PromptBatch): number[][] {
  const B = p.ids.length, S = p.ids[0]?.length ?? 0;
  if (B === 0 || S === 0) throw new Error('generate: the prompt batch is empty');
  if (p.ids.some((r) => r.length !== S)) throw new Error('generate: prompt rows differ in length; left-pad them to one length');
  const mask = p.attentionMask ?? p.ids.map((r) => r.map(() => 1));
  if (mask.length !== B || mask.some((r) => r.length !== S)) throw new Error(`generate: attentionMask must be (${B}, ${S}) like ids`);
  if (mask.some((r) => !r.includes(1))) throw new Error('generate: a prompt row has no unmasked token');
  return mask;
}

/** Decodes with `model`, HF options and a KV cache (unless useCache is false). */
export async function* generate(model: Model, prompt: PromptBatch, options: Partial<GenerationOptions> = {}, hooks: GenerateHooks = {}): AsyncGenerator<GenerationEvent, GenerationResult> {
  const o = resolveOptions(options, { eosTokenIds: model.config.eosTokenIds, padTokenId: model.config.padTokenId });
  const reuse = o.numBeams === 1 ? hooks.promptCache : undefined; // the stepper takes it for one unpadded row only
  return yield* generateWith(modelStepper(model, { useCache: o.useCache, linear: hooks.linear, prime: hooks.prime, reuse }), prompt, o, hooks);
}

/** The decoding loop over any Stepper, which it owns and disposes. */
export async function* generateWith(stepper: Stepper, prompt: PromptBatch, o: ResolvedGeneration, hooks: GenerateHooks = {}): AsyncGenerator<GenerationEvent, GenerationResult> {
  try {
    const mask = checkPrompt(prompt);
    const B = prompt.ids.length, S0 = prompt.ids[0].length;
    const streams = prompt.ids.map(() => new RowStream({ ...o, decode: hooks.decode }));
    const result = (): GenerationResult => ({
      tokens: streams.map((s) => s.tokens.slice()),
      texts: streams.map((s) => s.text),
      finishReasons: streams.map((s) => s.reason ?? 'length'),
      reusedPromptTokens: stepper.reusedPromptTokens ?? 0,
    });
    const reasons = () => streams.map((s) => s.reason);
    if (o.maxNewTokens === 0) return result();

    if (o.numBeams > 1) {
      const beams = await beamSearch(stepper, prompt.ids, mask, o, hooks);
      const ifOpen: FinishReason = hooks.signal?.aborted ? 'aborted' : 'length';
      const textDelta = streams.map((s, b) => s.pushAll(beams.tokens[b], ifOpen));
      yield { step: 0, tokenIds: streams.map((s) => s.tokens.slice()), textDelta, finishReasons: reasons() };
      return result();
    }

    const procs = buildProcessors(o);
    const rng = mulberry32(o.seed);
    const ids = prompt.ids.map((r) => r.slice()); // rows grow by one token per step, as HF's input_ids
    const masks = mask.map((r) => r.slice());
    for (let step = 0; step < o.maxNewTokens; step++) {
      if (hooks.signal?.aborted) {
        const textDelta = streams.map((s) => (s.finished ? '' : s.finish('aborted')));
        yield { step, tokenIds: streams.map(() => []), textDelta, finishReasons: reasons() };
        break;
      }
      const S = S0 + step;
      const logits = await stepper.next(Int32Array.from(ids.flat()), Int32Array.from(masks.flat()), B, S, step === 0 ? S0 : 1);
      const V = logits.length / B;
      hooks.onLogits?.(step, logits);
      const tokenIds: number[][] = [], textDelta: string[] = [];
      for (let b = 0; b < B; b++) {
        const s = streams[b];
        let token = o.padTokenId; // a finished row is fed pad, and its mask still grows by 1 (HF)
        if (!s.finished) {
          const scores = logits.slice(b * V, (b + 1) * V);
          applyProcessors(procs, scores, { ids: ids[b], promptLength: S0 });
          token = o.doSample ? sampleToken(scores, rng) : argmax(scores);
          textDelta.push(s.push(token));
          tokenIds.push([token]);
        } else {
          textDelta.push('');
          tokenIds.push([]);
        }
        ids[b].push(token);
        masks[b].push(1);
      }
      yield { step, tokenIds, textDelta, finishReasons: reasons() };
      if (streams.every((s) => s.finished)) break;
    }
    return result();
  } finally {
    stepper.dispose();
  }
}

/** Runs a generation to the end and returns what it produced. */
export async function collect(gen: AsyncGenerator<GenerationEvent, GenerationResult>): Promise<GenerationResult> {
  for (;;) {
    const r = await gen.next();
    if (r.done) return r.value;
  }
}

/** generate() without streaming: the final tokens, texts and finish reasons per row. */
export function generateAll(model: Model, prompt: PromptBatch, options: Partial<GenerationOptions> = {}, hooks: GenerateHooks = {}): Promise<GenerationResult> {
  return collect(generate(model, prompt, options, hooks));
}
