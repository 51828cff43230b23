/**
 * `webift judge --a A.jsonl --b B.jsonl --judge <url|local:DIR|hf:REPO> [--out judgements.jsonl] [--json]`: the
 * AlpaGasus pairwise judge (eval/judge-pairwise.ts) over two `webift predict` result files, paired by id; win / tie
 * / lose are counted for A. Judgements are appended per batch to --out (default A's name + '.judged.jsonl') and a
 * rerun reuses them. The last stdout line with --json: {n, win, tie, lose, unparsed, winning_score, by_set, judge,
 * out, unpaired}.
 */
import type { PredictionLine } from '../../eval/predict';
import { judgePairs, type PairItem, type PairJudgement, type Tally } from '../../eval/judge-pairwise';
import { RaterError } from '../../data/rater-openai';
import { BACKEND_FLAG, bool, JSON_FLAG, num, parse, str, type FlagSpec } from '../args';
import type { Command } from '../command';
import { UsageError } from '../errors';
import { makeJudge } from '../judge-backend';
import { appendJsonl, readJsonlForResume } from '../jsonl-resume';

export const JUDGE_FLAGS: FlagSpec = {
  a: { type: 'string', value: 'file.jsonl', help: 'predictions of model A (webift predict --out), the side win/tie/lose is counted for' },
  b: { type: 'string', value: 'file.jsonl', help: 'predictions of model B, paired with A by id' },
  judge: { type: 'string', value: 'url|local[:DIR]|hf:REPO', help: 'an OpenAI-compatible API base URL, local:MODEL_DIR (a webift model here; bare local = the embedded model), or hf:owner/name (ONNX via transformers.js)' },
  out: { type: 'string', value: 'file.jsonl', help: 'judgements, appended per batch and reused by a rerun (default: A.judged.jsonl)' },
  model: { type: 'string', value: 'name', default: 'gpt-4', help: 'the model name sent to an API judge (AlpaGasus used gpt-4-0613)' },
  'key-env': { type: 'string', value: 'VAR', default: 'OPENAI_API_KEY', help: 'the environment variable holding the API key (never a flag)' },
  'batch-size': { type: 'string', value: 'int', default: 4, help: 'questions per judge call (two prompts each: both orders)' },
  'max-new-tokens': { type: 'string', value: 'int', help: 'tokens the judge may write per review (API default 256 as AlpaGasus; local 32; hf 64)' },
  dtype: { type: 'string', value: 'q4|q4f16|q8|fp16|fp32', help: 'hf: judges: ONNX weights to load (default q4, q4f16 on webgpu)' },
  device: { type: 'string', value: 'cpu|wasm|webgpu', help: 'hf: judges: ONNX Runtime device (default cpu in Node)' },
  backend: { ...BACKEND_FLAG, help: 'compute backend of a local:MODEL_DIR judge' },
  json: JSON_FLAG,
};

async function readPredictions(file: string, flag: string): Promise<Map<string, PredictionLine>> {
  const { lines, cut } = await readJsonlForResume<PredictionLine>(file, false);
  if (cut) throw new UsageError(`${file}: the last line is incomplete (an interrupted webift predict?); rerun predict to finish it`);
  if (!lines.length) throw new UsageError(`${flag} ${file}: no predictions`);
  const m = new Map<string, PredictionLine>();
  lines.forEach((l, i) => {
    if (!l || (typeof l.id !== 'string' && typeof l.id !== 'number') || typeof l.output !== 'string') throw new UsageError(`${file}: line ${i + 1} is not a prediction {id, output, ...}`);
    m.set(String(l.id), l);
  });
  return m;
}

const snake = (t: Tally) => ({ n: t.n, win: t.win, tie: t.tie, lose: t.lose, unparsed: t.unparsed, winning_score: t.winningScore });

export async function judgeCommand(argv: string[]): Promise<number> {
  const p = parse(argv, JUDGE_FLAGS);
  const json = bool(p, 'json');
  const aFile = str(p, 'a', true), bFile = str(p, 'b', true), spec = str(p, 'judge', true);
  const out = str(p, 'out') ?? `${aFile.replace(/\.jsonl?$/, '')}.judged.jsonl`;
  const batchSize = num(p, 'batch-size', { int: true, min: 1 }) ?? 4;
  const maxNewTokens = num(p, 'max-new-tokens', { int: true, min: 1 });
  const [a, b] = [await readPredictions(aFile, '--a'), await readPredictions(bFile, '--b')];
  const items: PairItem[] = [];
  for (const [id, pa] of a) {
    const pb = b.get(id);
    if (pb) items.push({ id, question: pa.question ?? pa.prompt, a: pa.output, b: pb.output, set: pa.set ?? '' });
  }
  const unpaired = a.size + b.size - 2 * items.length;
  if (!items.length) throw new UsageError(`${aFile} and ${bFile} share no id: judge two prediction files of the same test set`);
  const prior = await readJsonlForResume<PairJudgement>(out, true);
  const { judge, dispose } = await makeJudge(spec, { flag: '--judge', keyEnv: str(p, 'key-env'), model: str(p, 'model') ?? 'gpt-4', backend: str(p, 'backend'), json, maxNewTokens, dtype: str(p, 'dtype'), device: str(p, 'device') });
  let res;
  try {
    res = await judgePairs({
      items, judge, batchSize, previous: prior.lines,
      onJudgements: (js) => appendJsonl(out, js),
      onProgress: ({ done, total }) => void (json || process.stderr.write(`judged ${done}/${total}\r`)),
    });
  } catch (e) {
    throw e instanceof RaterError && e.status !== null && e.status < 500 && e.status !== 429 ? new UsageError(e.message) : e;
  } finally {
    await dispose();
  }
  const s = res.summary;
  const summary = { ...snake(s), by_set: Object.fromEntries(Object.entries(s.bySet).map(([k, t]) => [k, snake(t)])), judge: judge.label, out, unpaired };
  if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stderr.write(`\nA vs B on ${s.n} questions (judge ${judge.label}): win ${s.win}, tie ${s.tie}, lose ${s.lose}${s.unparsed ? `, unreadable ${s.unparsed}` : ''}; winning score ${s.winningScore?.toFixed(3) ?? '-'}\n`);
    if (unpaired) process.stderr.write(`${unpaired} predictions had no partner in the other file\n`);
  }
  return 0;
}

export const command: Command = {
  name: 'judge',
  summary: 'AlpaGasus pairwise LLM judge of two prediction files: both orders, win/tie/lose for A',
  usage: '--a <a.jsonl> --b <b.jsonl> --judge <url|local[:DIR]|hf:REPO> [flags]',
  flags: JUDGE_FLAGS,
  run: judgeCommand,
};
