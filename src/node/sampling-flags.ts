/**
 * The generation flags shared by `generate` and `chat`, mapped to GenerationOptions. Sampling is on with
 * --do-sample, or when --temperature > 0 is given; --temperature 0 means greedy (as llama.cpp and OpenAI read it).
 */
import type { GenerationOptions } from '../generate/options';
import { bool, num, type FlagSpec, type Parsed } from './args';

export const SAMPLING_FLAGS: FlagSpec = {
  'max-new-tokens': { type: 'string' }, 'min-new-tokens': { type: 'string' }, temperature: { type: 'string' },
  'top-p': { type: 'string' }, 'top-k': { type: 'string' }, 'repetition-penalty': { type: 'string' },
  'no-repeat-ngram-size': { type: 'string' }, 'num-beams': { type: 'string' }, 'length-penalty': { type: 'string' },
  seed: { type: 'string' }, stop: { type: 'string', multiple: true }, 'do-sample': { type: 'boolean' }, 'no-cache': { type: 'boolean' },
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
