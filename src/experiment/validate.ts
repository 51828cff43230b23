/**
 * Validation of an experiment from anywhere (a share link, a saved run, a preset): every field's type and range,
 * unknown fields refused (so nothing else, e.g. a key, can ride along), and errors that name the field path and say
 * what is expected. Returns a fresh object or the list of problems: the caller restores all of it or nothing.
 */
import { EXPERIMENT_VERSION, type Experiment } from './experiment';

export type Validation = { ok: true; value: Experiment } | { ok: false; errors: string[] };

type Rule = (v: unknown, path: string, errs: string[]) => void;

const num = (lo: number, hi: number, int = false, loOpen = false): Rule => (v, p, e) => {
  if (typeof v !== 'number' || !Number.isFinite(v) || (int && !Number.isInteger(v)) || (loOpen ? v <= lo : v < lo) || v > hi) {
    e.push(`${p} must be ${int ? 'an integer' : 'a number'} ${loOpen ? '>' : '>='} ${lo} and <= ${hi} (got ${JSON.stringify(v)})`);
  }
};
const bool: Rule = (v, p, e) => void (typeof v !== 'boolean' && e.push(`${p} must be true or false (got ${JSON.stringify(v)})`));
const str = (max: number, re?: RegExp): Rule => (v, p, e) => {
  if (typeof v !== 'string' || v.length > max || (re && !re.test(v))) e.push(`${p} must be ${re ? `text like ${re.source}` : 'text'} of at most ${max} characters (got ${JSON.stringify(v)?.slice(0, 60)})`);
};
const oneOf = (...xs: string[]): Rule => (v, p, e) => void (!xs.includes(v as string) && e.push(`${p} must be one of ${xs.map((x) => `'${x}'`).join(', ')} (got ${JSON.stringify(v)})`));
const list = (item: Rule, max: number): Rule => (v, p, e) => {
  if (!Array.isArray(v) || v.length > max) return void e.push(`${p} must be a list of at most ${max} items`);
  v.forEach((x, i) => item(x, `${p}[${i}]`, e));
};
const obj = (shape: Record<string, Rule>): Rule => (v, p, e) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return void e.push(`${p} must be an object`);
  for (const k of Object.keys(v)) if (!(k in shape)) e.push(`${p}.${k} is not a known field`);
  for (const [k, rule] of Object.entries(shape)) {
    if (!(k in v)) e.push(`${p}.${k} is missing`);
    else rule((v as Record<string, unknown>)[k], `${p}.${k}`, e);
  }
};

/** Paths on this server, or http(s) URLs; never javascript:, data: or the like. */
const URLISH = /^(\/[^\s]*|https?:\/\/[^\s]+)$/;
const model: Rule = (v, p, e) => {
  const kind = (v as { kind?: unknown } | null)?.kind;
  if (kind === 'url') obj({ kind: oneOf('url'), url: str(500, URLISH), label: str(200) })(v, p, e);
  else if (kind === 'hub') obj({ kind: oneOf('hub'), repo: str(200, /^[\w.-]+\/[\w.-]+$/), revision: str(100, /^[\w./-]+$/) })(v, p, e);
  else if (kind === 'local') obj({ kind: oneOf('local'), label: str(200) })(v, p, e);
  else e.push(`${p}.kind must be 'url', 'hub' or 'local' (got ${JSON.stringify(kind)})`);
};

/** A catalogue id ('dolly', 'alpaca-gpt4-en') or a filtered-set key ('filtered/' + encodeURIComponent(name)). */
const stored: Rule = (v, p, e) => {
  if (typeof v === 'object' && v !== null && 'set' in v) obj({ set: str(300, /^filtered\/[\w.%~!*'()-]+$/) })(v, p, e);
  else obj({ entry: str(100, /^[\w.-]+$/) })(v, p, e);
};
/** `stored` is optional (links made before it existed have none); a stored source has no URL. */
const dataSource: Rule = (v, p, e) => {
  const isStored = typeof v === 'object' && v !== null && 'stored' in v;
  obj({ name: str(200), url: (u, q, f) => (u === '' ? undefined : str(500, URLISH)(u, q, f)), weight: num(0, 1, false, true), ...(isStored ? { stored } : {}) })(v, p, e);
  if (isStored && (v as { url?: unknown }).url !== '') e.push(`${p}.url must be '' for a stored source (got ${JSON.stringify((v as { url?: unknown }).url)?.slice(0, 60)})`);
};

/** Optional (links made before it existed lack it); group size as quant/ accepts it: a multiple of 8 in [8, 4096]. */
const quantize: Rule = (v, p, e) => {
  obj({ mode: oneOf('none', 'int8', 'int4'), groupSize: num(8, 4096, true), symmetric: bool })(v, p, e);
  const g = (v as { groupSize?: unknown } | null)?.groupSize;
  if (typeof g === 'number' && Number.isInteger(g) && g % 8 !== 0) e.push(`${p}.groupSize must be a multiple of 8 (got ${g})`);
};

/** Optional (links made before it existed lack it); the allocator only removes ranks, so targetR <= initR. */
const adalora: Rule = (v, p, e) => {
  obj({ initR: num(1, 1024, true), targetR: num(0, 1024, true), tinit: num(0, 1e6, true), tfinal: num(0, 1e6, true), deltaT: num(1, 1e6, true) })(v, p, e);
  const a = v as { initR?: unknown; targetR?: unknown } | null;
  if (typeof a?.initR === 'number' && typeof a.targetR === 'number' && a.targetR > a.initR) e.push(`${p}.targetR must be at most initR (got ${a.targetR} > ${a.initR})`);
};

const FIELDS: Record<string, Rule> = {
  version: (v, p, e) => void (v !== EXPERIMENT_VERSION && e.push(`${p} must be ${EXPERIMENT_VERSION} (this link was made by another version: got ${JSON.stringify(v)})`)),
  name: str(200),
  model,
  data: list(dataSource, 32),
  peft: (v, p, e) => obj({
    method: oneOf('LORA', 'IA3', 'PROMPT_TUNING', 'PREFIX_TUNING', 'P_TUNING', 'P_TUNING_LSTM', 'ADALORA'), r: num(1, 1024, true), alpha: num(0, 1e4, false, true), dropout: num(0, 0.99),
    targetModules: list(str(100, /^[\w.]+$/), 64), useRslora: bool, useDora: bool, virtualTokens: num(1, 1024, true),
    ...(typeof v === 'object' && v !== null && 'adalora' in v ? { adalora } : {}),
  })(v, p, e),
  train: obj({
    lr: num(0, 1, false, true), maxSteps: num(1, 1e6, true), batchSize: num(1, 1024, true), gradAccum: num(1, 1024, true), cutoffLen: num(2, 32768, true),
    warmupSteps: num(0, 1e6, true), scheduler: oneOf('cosine', 'linear', 'constant'), evalSplit: (v, p, e) => (typeof v === 'number' && v >= 1 ? num(1, 1e6, true)(v, p, e) : num(0, 0.99)(v, p, e)), evalEvery: num(0, 1e6, true),
    checkpointEvery: num(0, 1e6, true), seed: num(0, 0xffffffff, true), promptFormat: oneOf('alpaca', 'chat', 'auto'), trainOnInputs: bool,
  }),
  generation: obj({
    doSample: bool, temperature: num(0, 100, false, true), topP: num(0, 1, false, true), topK: num(0, 1e6, true), repetitionPenalty: num(0, 100, false, true),
    noRepeatNgramSize: num(0, 100, true), maxNewTokens: num(1, 4096, true), numBeams: num(1, 16, true), stopStrings: list(str(100), 8), seed: num(0, 0xffffffff, true),
  }),
};

export function validateExperiment(v: unknown): Validation {
  const errors: string[] = [];
  const hasQuantize = typeof v === 'object' && v !== null && 'quantize' in v;
  obj(hasQuantize ? { ...FIELDS, quantize } : FIELDS)(v, 'experiment', errors);
  if (errors.length) return { ok: false, errors };
  return { ok: true, value: JSON.parse(JSON.stringify(v)) as Experiment };
}
