/**
 * The one table from request fields (OpenAI's, the extras llama.cpp's and vLLM's servers accept, and HF generate's
 * no_repeat_ngram_size / num_beams) to webift's GenerationOptions (src/generate/options.ts). Each row validates its
 * value (a 400 naming the field) and sets the option. Fields this server cannot honour (logprobs, logit_bias, tools,
 * n > 1 ...) are refused by name when set; other unknown fields are ignored, as vLLM does. README "Serving
 * (OpenAI-compatible)" prints this table, and a test keeps the two in step.
 */
import type { GenerationOptions } from '../../generate/options';
import { badRequest } from './api-error';

type Body = Record<string, unknown>;

/** What the request asked for, before the prompt length and the model's eos ids are known. */
export interface SamplingPlan {
  options: Partial<GenerationOptions>;
  /** max_completion_tokens / max_tokens, or null for "the rest of the context". */
  maxTokens: number | null;
  /** null: the server draws one (OpenAI samples differently on every call without a seed). */
  seed: number | null;
  /** vLLM ignore_eos: the model's eos ids do not end the reply. */
  ignoreEos: boolean;
  /** vLLM stop_token_ids: extra ids that end the reply like eos. */
  stopTokenIds: number[];
}

export interface ParamRow {
  /** The request field; later names are aliases (llama.cpp's own spelling). */
  names: string[];
  /** Whose API defines it; HF generate's names where no server has one (no_repeat_ngram_size, num_beams). */
  origin: 'OpenAI, llama.cpp, vLLM' | 'llama.cpp, vLLM' | 'vLLM' | 'HF generate';
  /** The webift option it sets, for the README table. */
  option: string;
  note: string;
  apply: (value: unknown, param: string, plan: SamplingPlan) => void;
}

function number(v: unknown, param: string, o: { min?: number; max?: number; int?: boolean; above?: number } = {}): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badRequest(`'${param}' must be a number, got ${JSON.stringify(v)}`, param);
  if (o.int && !Number.isSafeInteger(v)) throw badRequest(`'${param}' must be an integer, got ${v}`, param);
  if (o.min !== undefined && v < o.min) throw badRequest(`'${param}' must be >= ${o.min}, got ${v}`, param);
  if (o.above !== undefined && v <= o.above) throw badRequest(`'${param}' must be > ${o.above}, got ${v}`, param);
  if (o.max !== undefined && v > o.max) throw badRequest(`'${param}' must be <= ${o.max}, got ${v}`, param);
  return v;
}

function bool(v: unknown, param: string): boolean {
  if (typeof v !== 'boolean') throw badRequest(`'${param}' must be true or false, got ${JSON.stringify(v)}`, param);
  return v;
}

const MAX_STOPS = 16;

function stops(v: unknown, param: string): string[] {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string')) throw badRequest(`'${param}' must be a string or an array of strings`, param);
  if (list.length > MAX_STOPS) throw badRequest(`'${param}' holds ${list.length} strings; at most ${MAX_STOPS}`, param);
  return list as string[];
}

/** The mapping, one row per field. Order matters only for the README. */
export const PARAM_TABLE: ParamRow[] = [
  {
    names: ['temperature'], origin: 'OpenAI, llama.cpp, vLLM', option: 'temperature, doSample',
    note: 'default 1 (sampling, as OpenAI); 0 = greedy (doSample false); > 0 samples at that temperature',
    apply: (v, p, plan) => {
      const t = number(v, p, { min: 0 });
      if (t === 0) plan.options.doSample = false;
      else Object.assign(plan.options, { doSample: true, temperature: t });
    },
  },
  {
    names: ['top_p'], origin: 'OpenAI, llama.cpp, vLLM', option: 'topP', note: 'in (0, 1]; 1 = off (default)',
    apply: (v, p, plan) => void (plan.options.topP = number(v, p, { above: 0, max: 1 })),
  },
  {
    names: ['max_completion_tokens', 'max_tokens'], origin: 'OpenAI, llama.cpp, vLLM', option: 'maxNewTokens',
    note: 'integer >= 1; default: the rest of the context (or `--max-tokens`); prompt + this must fit the context. max_completion_tokens wins over max_tokens',
    apply: (v, p, plan) => void (plan.maxTokens = number(v, p, { int: true, min: 1 })),
  },
  {
    names: ['stop'], origin: 'OpenAI, llama.cpp, vLLM', option: 'stopStrings',
    note: `a string or up to ${MAX_STOPS} strings; the text is cut before the first one found (finish_reason "stop")`,
    apply: (v, p, plan) => void (plan.options.stopStrings = stops(v, p)),
  },
  {
    names: ['seed'], origin: 'OpenAI, llama.cpp, vLLM', option: 'seed',
    note: 'integer; the same seed, prompt and parameters give the same reply. Without one the server draws a seed per request',
    apply: (v, p, plan) => void (plan.seed = number(v, p, { int: true })),
  },
  {
    names: ['frequency_penalty'], origin: 'OpenAI, llama.cpp, vLLM', option: 'frequencyPenalty',
    note: 'in [-2, 2]; minus count x value for each token already generated (prompt not counted, as vLLM)',
    apply: (v, p, plan) => void (plan.options.frequencyPenalty = number(v, p, { min: -2, max: 2 })),
  },
  {
    names: ['presence_penalty'], origin: 'OpenAI, llama.cpp, vLLM', option: 'presencePenalty',
    note: 'in [-2, 2]; minus value once for each token already generated',
    apply: (v, p, plan) => void (plan.options.presencePenalty = number(v, p, { min: -2, max: 2 })),
  },
  {
    names: ['top_k'], origin: 'llama.cpp, vLLM', option: 'topK', note: 'integer; 0 or -1 = off (default here, as vLLM; HF would use 50)',
    apply: (v, p, plan) => void (plan.options.topK = Math.max(0, number(v, p, { int: true, min: -1 }))),
  },
  {
    names: ['min_p'], origin: 'llama.cpp, vLLM', option: 'minP', note: 'in [0, 1]; 0 = off (default); HF MinPLogitsWarper, after top-p',
    apply: (v, p, plan) => void (plan.options.minP = number(v, p, { min: 0, max: 1 })),
  },
  {
    names: ['repetition_penalty', 'repeat_penalty'], origin: 'llama.cpp, vLLM', option: 'repetitionPenalty',
    note: '> 0; 1 = off (default); HF semantics: every token in the prompt and the reply. `repeat_penalty` is llama.cpp\'s name',
    apply: (v, p, plan) => void (plan.options.repetitionPenalty = number(v, p, { above: 0 })),
  },
  {
    names: ['no_repeat_ngram_size'], origin: 'HF generate', option: 'noRepeatNgramSize', note: 'integer >= 0; 0 = off (default); HF semantics (prompt included)',
    apply: (v, p, plan) => void (plan.options.noRepeatNgramSize = number(v, p, { int: true, min: 0 })),
  },
  {
    names: ['num_beams'], origin: 'HF generate', option: 'numBeams',
    note: 'integer >= 1; > 1 runs beam search, which needs temperature 0 or absent (no beam sampling); a stream then sends the reply in one chunk',
    apply: (v, p, plan) => void (plan.options.numBeams = number(v, p, { int: true, min: 1 })),
  },
  {
    names: ['length_penalty'], origin: 'vLLM', option: 'lengthPenalty', note: 'beam score = sum logprob / length ^ value; default 1',
    apply: (v, p, plan) => void (plan.options.lengthPenalty = number(v, p)),
  },
  {
    names: ['min_tokens'], origin: 'vLLM', option: 'minNewTokens', note: 'integer >= 0; eos is forbidden until this many tokens were generated',
    apply: (v, p, plan) => void (plan.options.minNewTokens = number(v, p, { int: true, min: 0 })),
  },
  {
    names: ['ignore_eos'], origin: 'vLLM', option: 'eosTokenIds = []', note: 'true: the model\'s eos does not end the reply (stop strings and max tokens still do)',
    apply: (v, p, plan) => void (plan.ignoreEos = bool(v, p)),
  },
  {
    names: ['stop_token_ids'], origin: 'vLLM', option: 'eosTokenIds += ids', note: 'token ids that end the reply like eos (finish_reason "stop")',
    apply: (v, p, plan) => {
      if (!Array.isArray(v)) throw badRequest(`'${p}' must be an array of token ids`, p);
      plan.stopTokenIds = v.map((id, i) => number(id, `${p}.${i}`, { int: true, min: 0 }));
    },
  },
];

/** Fields that are refused when set to anything but their no-op value: this server cannot honour them. */
const REFUSED: Record<string, (v: unknown) => boolean> = {
  n: (v) => v === 1,
  best_of: (v) => v === 1,
  logprobs: (v) => v === false || v === 0,
  top_logprobs: (v) => v === 0,
  echo: (v) => v === false,
  suffix: (v) => v === '',
  logit_bias: (v) => typeof v === 'object' && v !== null && Object.keys(v).length === 0,
  tools: (v) => Array.isArray(v) && v.length === 0,
  functions: (v) => Array.isArray(v) && v.length === 0,
  tool_choice: (v) => v === 'none',
  response_format: (v) => typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'text',
};

/** Reads every mapped field of `body` (null counts as absent) into a plan; a bad value is a 400 naming the field. */
export function readSampling(body: Body): SamplingPlan {
  const plan: SamplingPlan = { options: { doSample: true, temperature: 1, topK: 0 }, maxTokens: null, seed: null, ignoreEos: false, stopTokenIds: [] };
  for (const [field, ok] of Object.entries(REFUSED)) {
    const v = body[field];
    if (v === undefined || v === null || ok(v)) continue;
    const why = field === 'n' || field === 'best_of' ? `only ${field}=1 is supported (one choice per request)` : `'${field}' is not supported by this server`;
    throw badRequest(why, field, 'unsupported_parameter');
  }
  for (const row of PARAM_TABLE) {
    const given = row.names.filter((n) => body[n] !== undefined && body[n] !== null);
    if (given.length === 0) continue;
    row.apply(body[given[0]], given[0], plan);
  }
  if ((plan.options.numBeams ?? 1) > 1) {
    if (body.temperature !== undefined && body.temperature !== null && plan.options.doSample) throw badRequest('num_beams > 1 needs temperature 0 or no temperature: beam sampling is not supported', 'num_beams');
    plan.options.doSample = false;
  }
  return plan;
}

/** Everything the plan needs from the model and the prompt to become concrete options. */
export interface PlanContext {
  promptTokens: number;
  /** The model's context length (max positions); Infinity when it has none. */
  context: number;
  /** The server's default for max_tokens when the request has none (null: the rest of the context). */
  defaultMaxTokens: number | null;
  modelEos: number[];
  drawSeed: () => number;
  /** Which field held the prompt, for the 400 when it is too long. */
  promptParam: string;
}

/** The plan as GenerationOptions, with max tokens checked against the context as vLLM checks it. */
export function finishPlan(plan: SamplingPlan, c: PlanContext): Partial<GenerationOptions> {
  const room = c.context - c.promptTokens;
  if (room < 1) throw badRequest(`The prompt is ${c.promptTokens} tokens; this model's maximum context length is ${c.context} tokens`, c.promptParam, 'context_length_exceeded');
  const max = plan.maxTokens ?? Math.min(room, c.defaultMaxTokens ?? Infinity);
  if (!Number.isFinite(max)) throw badRequest('this model has no maximum context length: set max_tokens', 'max_tokens');
  if (max > room) throw badRequest(`This model's maximum context length is ${c.context} tokens. However, you requested ${c.promptTokens + max} tokens (${c.promptTokens} in the prompt, ${max} in the completion)`, 'max_tokens', 'context_length_exceeded');
  const eos = [...(plan.ignoreEos ? [] : c.modelEos), ...plan.stopTokenIds];
  return { ...plan.options, maxNewTokens: max, seed: plan.seed ?? c.drawSeed(), eosTokenIds: eos };
}
