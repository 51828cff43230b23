/**
 * `webift data filter --rater <url|local:MODEL_DIR> [--threshold 4.5] IN --out OUT [--scores FILE] [--key-env
 * OPENAI_API_KEY] [--model NAME] [--batch-size 8] [--json]`: AlpaGasus filtering of a JSON / JSON Lines file of
 * unified records. Scores go to OUT.scores.jsonl (appended after every batch), so an interrupted or repeated run
 * reuses them and pays only for the rest. OUT is a JSON array for a .json name, JSON Lines otherwise, written atomically.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { filterRecords, formatHistogram, parseScoresJsonl, scoreLineJson, type Rater } from '../../data/filter';
import { openAiRater, RaterError } from '../../data/rater-openai';
import { parseRecords, RecordsParseError } from '../../data/records';
import { envVar } from '../../platform/env';
import { BACKEND_FLAG, bool, JSON_FLAG, num, parse, str, type FlagSpec } from '../args';
import type { Command } from '../command';
import { writeFileAtomic } from '../atomic';
import { UsageError } from '../errors';

const USAGE = 'usage: webift data filter --rater <url|local:MODEL_DIR> [--threshold 4.5] IN --out OUT [--scores FILE] [--key-env OPENAI_API_KEY] [--json]';

/** Builds the rater; `dispose` frees a local model. */
async function makeRater(spec: string, o: { keyEnv?: string; model?: string; backend?: string; json: boolean }): Promise<{ rater: Rater; dispose: () => void }> {
  if (spec.startsWith('local:')) {
    const dir = spec.slice('local:'.length);
    if (!dir) throw new UsageError('--rater local: needs a model folder or repo, e.g. local:models/qwen2-0.5b-instruct');
    // Loaded on demand: tfjs and the model code are not needed for a remote rater.
    const [{ openModel }, { tokenizerFrom }, { localRater }] = await Promise.all([import('../runtime'), import('../model-tokenizer'), import('../../eval/local-rater')]);
    const { model, source } = await openModel(dir, o.backend, o.json);
    const tokenizer = await tokenizerFrom(source);
    if (!tokenizer) {
      model.dispose();
      throw new UsageError(`${source.label} has no tokenizer.json: a local rater needs one to read the prompt`);
    }
    return { rater: localRater({ model, tokenizer, label: spec }), dispose: () => model.dispose() };
  }
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new UsageError(`--rater must be an http(s) URL of an OpenAI-compatible API (e.g. https://api.openai.com/v1) or local:MODEL_DIR, got '${spec}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--rater URL must be http(s), got '${spec}'`);
  const keyEnv = o.keyEnv ?? 'OPENAI_API_KEY';
  const apiKey = envVar(keyEnv) || undefined;
  if (!apiKey && (o.keyEnv || url.hostname === 'api.openai.com')) throw new UsageError(`no API key: set ${keyEnv} (the key is read from the environment, never from a flag)`);
  return { rater: openAiRater({ baseUrl: spec, apiKey, model: o.model }), dispose: () => undefined };
}

export const FILTER_FLAGS: FlagSpec = {
  rater: { type: 'string', value: 'url|local:DIR', help: 'an OpenAI-compatible API base URL (e.g. https://api.openai.com/v1), or local:MODEL_DIR to rate with a local model' },
  threshold: { type: 'string', value: 'number', default: 4.5, help: 'keep the records scored at least this (0 to 5)' },
  out: { type: 'string', value: 'file', help: 'the kept records: a JSON array for a .json name, JSON Lines otherwise' },
  scores: { type: 'string', value: 'file', help: 'the scores file, appended after every batch and reused by a rerun (default: OUT.scores.jsonl)' },
  'key-env': { type: 'string', value: 'VAR', default: 'OPENAI_API_KEY', help: 'the environment variable holding the API key (never a flag)' },
  model: { type: 'string', value: 'name', default: 'gpt-3.5-turbo', help: 'the model name sent to the rater API' },
  'batch-size': { type: 'string', value: 'int', default: 8, help: 'records rated per batch' },
  backend: { ...BACKEND_FLAG, help: 'compute backend of a local:MODEL_DIR rater (default: WEBIFT_BACKEND, else the first that works)' },
  json: JSON_FLAG,
};

export async function dataFilterCommand(argv: string[]): Promise<number> {
  const p = parse(argv, FILTER_FLAGS);
  const json = bool(p, 'json');
  if (p.positionals.length !== 1) throw new UsageError(USAGE);
  const input = p.positionals[0];
  const out = str(p, 'out', true);
  const raterSpec = str(p, 'rater', true);
  const threshold = num(p, 'threshold', { min: 0, max: 5 }) ?? 4.5;
  const batchSize = num(p, 'batch-size', { int: true, min: 1 }) ?? 8;
  const scoresFile = str(p, 'scores') ?? `${out}.scores.jsonl`;

  let parsed;
  try {
    parsed = parseRecords(await fsp.readFile(input, 'utf8'), { label: input });
  } catch (e) {
    throw e instanceof RecordsParseError ? new UsageError(e.message) : e;
  }
  if (parsed.rejected.length) {
    const r = parsed.rejected[0];
    throw new UsageError(`${input}: ${r.where}: ${r.reason}${parsed.rejected.length > 1 ? ` (and ${parsed.rejected.length - 1} more bad records)` : ''}; fix or convert the file first (webift data convert)`);
  }
  const prior = await fsp.readFile(scoresFile, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? '' : Promise.reject(e)));
  const { lines: previous, skipped } = parseScoresJsonl(prior);
  if (skipped && !json) process.stderr.write(`${scoresFile}: ${skipped} unreadable line(s) skipped (an interrupted write); those records are rated again\n`);

  await fsp.mkdir(path.dirname(path.resolve(scoresFile)), { recursive: true });
  const { rater, dispose } = await makeRater(raterSpec, { keyEnv: str(p, 'key-env'), model: str(p, 'model'), backend: str(p, 'backend'), json });
  let result;
  try {
    result = await filterRecords({
      records: parsed.records,
      rater,
      threshold,
      batchSize,
      previous,
      onScores: (ls) => fsp.appendFile(scoresFile, ls.map((l) => scoreLineJson(l) + '\n').join('')),
      onProgress: ({ rated, total }) => {
        if (!json) process.stderr.write(`rated ${rated}/${total}\r`);
      },
    });
  } catch (e) {
    throw e instanceof RaterError && e.status !== null && e.status < 500 && e.status !== 429 ? new UsageError(e.message) : e;
  } finally {
    dispose();
  }
  const body = out.endsWith('.json') ? `${JSON.stringify(result.kept, null, 2)}\n` : result.kept.map((r) => JSON.stringify(r) + '\n').join('');
  await writeFileAtomic(out, body);
  const summary = { in: input, out, scores: scoresFile, total: parsed.records.length, kept: result.kept.length, threshold, rated: result.rated, reused: result.reused, rater: rater.label, histogram: result.histogram };
  if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stderr.write(`\n${formatHistogram(result.histogram)}\n`);
    process.stderr.write(`kept ${summary.kept} of ${summary.total} records with score >= ${threshold}; rated ${summary.rated}, reused ${summary.reused} from ${scoresFile}; wrote ${out}\n`);
  }
  return 0;
}

export const command: Command = {
  name: 'data filter',
  summary: 'AlpaGasus filtering: rate every record with an LLM and keep the good ones',
  usage: '--rater <url|local:DIR> IN --out <file> [flags]',
  flags: FILTER_FLAGS,
  run: dataFilterCommand,
};
