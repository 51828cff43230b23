/**
 * `webift data filter --rater <url|local:MODEL_DIR|hf:REPO> [--threshold 4.5] IN --out OUT [--scores FILE] [--key-env
 * OPENAI_API_KEY] [--model NAME] [--batch-size 8] [--json]`: AlpaGasus filtering of a JSON / JSON Lines file of
 * unified records. Scores go to OUT.scores.jsonl (appended after every batch), so an interrupted or repeated run
 * reuses them and pays only for the rest. OUT is a JSON array for a .json name, JSON Lines otherwise, written atomically.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { filterRecords, formatHistogram, parseScoresJsonl, scoreLineJson } from '../../data/filter';
import { RaterError } from '../../data/rater-openai';
import { parseRecords, RecordsParseError } from '../../data/records';
import { BACKEND_FLAG, bool, JSON_FLAG, num, parse, str, type FlagSpec } from '../args';
import type { Command } from '../command';
import { writeFileAtomic } from '../atomic';
import { UsageError } from '../errors';
import { makeJudge } from '../judge-backend';

const USAGE = 'usage: webift data filter --rater <url|local:MODEL_DIR|hf:REPO> [--threshold 4.5] IN --out OUT [--scores FILE] [--key-env OPENAI_API_KEY] [--json]';

export const FILTER_FLAGS: FlagSpec = {
  rater: { type: 'string', value: 'url|local:DIR|hf:REPO', help: 'an OpenAI-compatible API base URL (e.g. https://api.openai.com/v1), local:MODEL_DIR to rate with a local model, or hf:owner/name for an ONNX instruct model via transformers.js' },
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
  const { judge: rater, dispose } = await makeJudge(raterSpec, { flag: '--rater', keyEnv: str(p, 'key-env'), model: str(p, 'model'), backend: str(p, 'backend'), json });
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
    await dispose();
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
