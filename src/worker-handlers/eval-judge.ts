/**
 * The eval worker's `judge` call: AlpaGasus's pairwise protocol (eval/judge-pairwise.ts: both orders, the paper's
 * win/tie/lose) over answers A and B, which are either generated here (A = the session's adapter, B = the base
 * model, greedy, per test set) or read from two predictions files paired by id. The judge is one of the three
 * backends of data/judge.ts: an OpenAI-compatible endpoint (key in this call only), this worker's model, or an
 * ONNX instruct model through transformers.js (imported lazily on its first prompt). Not handled: multi-turn rows.
 */
import type { Judge } from '../data/judge';
import { openAiRater } from '../data/rater-openai';
import { judgePairs, type PairItem } from '../eval/judge-pairwise';
import { transformersJudge } from '../eval/judge-transformers';
import { localRater } from '../eval/local-rater';
import { predict } from '../eval/predict';
import { parsePromptRows, type PromptRow } from '../eval/prompt-rows';
import type { Model } from '../model/types';
import type { Adapter } from '../peft';
import type { TextTokenizer } from '../tokenizer/tokenizer';
import type { EvalProgress, JudgeBackendSpec, JudgeParams, JudgeResult, PredictionRecord, TextFile } from '../protocol/eval-api';
import type { HandlerContext } from '../protocol/serve';
import { userError } from './session';

export function judgeOf(spec: JudgeBackendSpec, model: Model, tok: TextTokenizer, maxNewTokens: number): Judge {
  if (spec.kind === 'endpoint') {
    if (!/^https?:\/\//.test(spec.baseUrl.trim())) throw userError(`The judge endpoint must be an http(s) URL such as https://api.openai.com/v1, got '${spec.baseUrl}'.`);
    return openAiRater({ baseUrl: spec.baseUrl.trim(), apiKey: spec.apiKey || undefined, model: spec.model.trim() || undefined, maxTokens: Math.max(maxNewTokens, 16) });
  }
  if (spec.kind === 'transformers') {
    if (!/^[\w.-]+\/[\w.-]+$/.test(spec.repo.trim())) throw userError(`The judge model must be a hub id such as onnx-community/Qwen2.5-0.5B-Instruct, got '${spec.repo}'.`);
    return transformersJudge({ repo: spec.repo.trim(), maxNewTokens });
  }
  return localRater({ model, tokenizer: tok, label: "this tab's model", maxNewTokens, maxPromptTokens: Math.max(1, model.config.maxPositions - maxNewTokens) });
}

/** A test set's name for the chart: its rows' own set (koala, vicuna, ...) or the file name. */
const setName = (f: TextFile, r: PromptRow) => r.set || f.name.replace(/\.[^.]+$/, '');

function readRows(f: TextFile, limit: number | undefined): PromptRow[] {
  try {
    return parsePromptRows(f.text, f.name).slice(0, limit);
  } catch (e) {
    throw userError((e as Error).message, String(e));
  }
}

function readPredictions(f: TextFile): Map<string, PredictionRecord> {
  const out = new Map<string, PredictionRecord>();
  f.text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let v: PredictionRecord;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw userError(`${f.name}: line ${i + 1} is not JSON (${(e as Error).message}).`);
    }
    if (typeof v?.id !== 'string' && typeof v?.id !== 'number') throw userError(`${f.name}: line ${i + 1} has no id; a predictions file has {id, question, output} lines.`);
    if (typeof v.output !== 'string') throw userError(`${f.name}: line ${i + 1} has no output text.`);
    out.set(String(v.id), v);
  });
  if (!out.size) throw userError(`${f.name}: no predictions in the file.`);
  return out;
}

async function generatedPairs(model: Model, tok: TextTokenizer, adapter: Adapter, p: Extract<JudgeParams, { mode: 'adapter' }>, ctx: HandlerContext<EvalProgress>): Promise<PairItem[]> {
  if (!p.sets.length) throw userError('Pick at least one test set to judge.');
  const items: PairItem[] = [];
  for (const f of p.sets) {
    const rows = readRows(f, p.limit || undefined);
    const answers = async (a: Adapter | null, side: string) => {
      const out = new Map<string, string>();
      const phase = `answers for ${f.name} (${side})`;
      await predict({
        model, tokenizer: tok, adapter: a, rows, promptFormat: 'auto', generation: { maxNewTokens: p.answerTokens, doSample: false }, signal: ctx.signal,
        onResults: (lines) => lines.forEach((l) => out.set(l.id, l.output)),
        onProgress: ({ done, total }) => ctx.progress({ phase, done, total }),
      });
      return out;
    };
    const a = await answers(adapter, 'with adapter');
    const b = await answers(null, 'base model');
    for (const r of rows) items.push({ id: `${setName(f, r)}/${r.id}`, question: r.question, a: a.get(r.id)!, b: b.get(r.id)!, set: setName(f, r) });
  }
  return items;
}

function filePairs(p: Extract<JudgeParams, { mode: 'files' }>): PairItem[] {
  const a = readPredictions(p.a), b = readPredictions(p.b);
  const missing = [...a.keys()].filter((id) => !b.has(id));
  if (missing.length) throw userError(`${missing.length} of ${a.size} ids in ${p.a.name} are not in ${p.b.name} (first: '${missing[0]}'); both files must answer the same questions.`);
  const items = [...a.values()].map((x) => ({ id: String(x.id), question: x.question ?? x.prompt ?? '', a: x.output, b: b.get(String(x.id))!.output, set: x.set ?? '' }));
  return p.limit ? items.slice(0, p.limit) : items;
}

export async function runJudge(model: Model, tok: TextTokenizer, adapter: Adapter | null, p: JudgeParams, ctx: HandlerContext<EvalProgress>): Promise<JudgeResult> {
  const maxNew = p.maxNewTokens ?? 32;
  const judge = judgeOf(p.backend, model, tok, maxNew); // a bad URL or repo fails before any answer is generated
  try {
    let items: PairItem[];
    if (p.mode === 'adapter') {
      if (!adapter) throw userError('There is no adapter to compare with the base model yet: train one (Start training) or import one on the Export screen.');
      items = await generatedPairs(model, tok, adapter, p, ctx);
    } else items = filePairs(p);
    const r = await judgePairs({ items, judge, batchSize: 1, signal: ctx.signal, onProgress: ({ done, total }) => ctx.progress({ phase: 'judge', done, total }) });
    return { judge: judge.label, summary: r.summary, jsonl: r.judgements.map((j) => `${JSON.stringify(j)}\n`).join('') };
  } finally {
    await judge.dispose?.();
  }
}
