/**
 * The generation flags shared by `generate` and `chat`, mapped to GenerationOptions. Sampling is on with
 * --do-sample, or when --temperature > 0 is given; --temperature 0 means greedy (as llama.cpp and OpenAI read it).
 */
import { DEFAULT_GENERATION as G, type GenerationOptions } from '../generate/options';
import { bool, num, type FlagSpec, type Parsed } from './args';

export const SAMPLING_FLAGS: FlagSpec = {
  'max-new-tokens': { type: 'string', value: 'int', default: G.maxNewTokens, help: 'tokens to generate at most' },
  'min-new-tokens': { type: 'string', value: 'int', default: G.minNewTokens, help: 'end-of-sequence is forbidden until this many tokens were generated' },
  temperature: { type: 'string', value: 'number', help: 'sampling temperature; > 0 turns sampling on, 0 means greedy (default: greedy)' },
  'top-p': { type: 'string', value: 'number', default: G.topP, help: 'nucleus sampling: keep the most likely tokens up to this total probability; 1 = off' },
  'top-k': { type: 'string', value: 'int', default: G.topK, help: 'keep only the k most likely tokens when sampling; 0 = off' },
  'repetition-penalty': { type: 'string', value: 'number', default: G.repetitionPenalty, help: 'penalize tokens already in the text (prompt included), e.g. 1.2; 1 = off' },
  'no-repeat-ngram-size': { type: 'string', value: 'int', default: G.noRepeatNgramSize, help: 'never repeat an n-gram of this size; 0 = off' },
  'num-beams': { type: 'string', value: 'int', default: G.numBeams, help: 'beam search width; 1 = greedy or sampling' },
  'length-penalty': { type: 'string', value: 'number', default: G.lengthPenalty, help: 'beam score exponent on the length; > 0 favours longer outputs' },
  seed: { type: 'string', value: 'int', default: G.seed, help: 'seed of the sampling generator: same seed, prompt and flags give the same text' },
  stop: { type: 'string', value: 'text', multiple: true, help: 'stop when the output contains this text (cut before it)' },
  'do-sample': { type: 'boolean', help: 'sample (at temperature 1 unless --temperature) instead of greedy decoding' },
  'no-cache': { type: 'boolean', help: 'recompute the whole sequence each step instead of using the KV cache (slow; a reference)' },
};

export function samplingOptions(p: Parsed): Partial<GenerationOptions> {
  const o: Partial<GenerationOptions> = {};
  const set = <K extends keyof GenerationOptions>(k: K, v: GenerationOptions[K] | undefined) => {
    if (v !== undefined) o[k] = v;
  };
  set('maxNewTokens', num(p, 'max-new-tokens', { int: true, min: 1 }));
  set('minNewTokens', num(p, 'min-new-tokens', { int: true, min: 0 }));
  const t = num(p, 'temperature', { min: 0 });
  if (t !== undefined && t > 0) {
    o.temperature = t;
    o.doSample = true;
  }
  if (bool(p, 'do-sample')) o.doSample = true;
  set('topP', num(p, 'top-p', { min: 0, max: 1 }));
  set('topK', num(p, 'top-k', { int: true, min: 0 }));
  set('repetitionPenalty', num(p, 'repetition-penalty', { min: 0 }));
  set('noRepeatNgramSize', num(p, 'no-repeat-ngram-size', { int: true, min: 0 }));
  set('numBeams', num(p, 'num-beams', { int: true, min: 1 }));
  set('lengthPenalty', num(p, 'length-penalty'));
  set('seed', num(p, 'seed', { int: true }));
  const stops = p.values.stop as unknown as string[] | undefined;
  if (stops?.length) o.stopStrings = stops;
  if (bool(p, 'no-cache')) o.useCache = false;
  return o;
}
