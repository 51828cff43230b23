/**
 * The eval worker's `ablate` call: the ablation runner (eval/ablation.ts) on this worker's model with the
 * experiment's data sources (unified JSON Lines, by source name), one variant per change (w/o or w/ one source),
 * the experiment's PEFT and training settings and the same seeds; optionally scored on a benchmark file (the task
 * detected as `benchmark` does). Returns the result as plain data and the self-contained HTML report
 * (eval/ablation-report.ts). Progress: one event per optimizer step or scored item, named by variant and phase.
 */
import { convert } from '../data/converters';
import { readJsonRows } from '../data/converters/rows';
import type { UnifiedRecord } from '../data/records';
import { AblationError, runAblation, type AblationTask } from '../eval/ablation';
import { renderAblationReport } from '../eval/ablation-report';
import { detectTask } from '../eval/detect-task';
import { parseMcCsv, parseMcRows } from '../eval/mc-items';
import { parsePromptRows } from '../eval/prompt-rows';
import type { Model } from '../model/types';
import { trainAdapterRun } from '../train/adapter-run';
import { resolveTrainConfig, type TrainConfig } from '../train/config';
import type { TextTokenizer } from '../tokenizer/tokenizer';
import type { AblateParams, AblateResult, EvalProgress, TextFile } from '../protocol/eval-api';
import type { HandlerContext } from '../protocol/serve';
import { userError } from './session';
import { peftConfigOf } from './train-run';

function recordsOf(name: string, jsonl: string): UnifiedRecord[] {
  return jsonl.split('\n').filter((l) => l.trim()).map((l, i) => {
    try {
      return JSON.parse(l) as UnifiedRecord;
    } catch (e) {
      throw userError(`${name}: line ${i + 1} is not a JSON record.`, String(e));
    }
  });
}

async function taskOf(f: TextFile): Promise<AblationTask> {
  try {
    const { task } = detectTask(f.text, f.name);
    if (task === 'multiple-choice') {
      const items = (/\.csv$/i.test(f.name) ? parseMcCsv(f.text, f.name) : parseMcRows(readJsonRows(f.text, f.name).rows, f.name)).items;
      return { kind: 'multiple-choice', label: f.name, items, shots: 0 }; // no dev file in the app
    }
    if (task === 'exact-match') return { kind: 'exact-match', label: f.name, rows: parsePromptRows(f.text, f.name) };
    return { kind: 'perplexity', label: f.name, records: (await convert(new TextEncoder().encode(f.text), 'auto', { label: f.name })).records };
  } catch (e) {
    throw userError((e as Error).message, String(e));
  }
}

export async function runAblate(model: Model, tok: TextTokenizer, modelLabel: string, p: AblateParams, ctx: HandlerContext<EvalProgress>): Promise<AblateResult> {
  const sources = Object.fromEntries(Object.entries(p.sources).map(([name, jsonl]) => [name, recordsOf(name, jsonl)]));
  const task = p.task ? await taskOf(p.task) : undefined;
  let train: TrainConfig;
  try {
    train = resolveTrainConfig(p.train as Partial<TrainConfig>);
  } catch (e) {
    throw userError(`The training settings are not valid: ${(e as Error).message}`, String(e));
  }
  try {
    const result = await runAblation({
      name: p.name, model, tokenizer: tok, modelLabel, embedded: /webift-tiny/.test(modelLabel), sources, base: p.base, changes: p.changes,
      peft: peftConfigOf(p.peft), train, trainer: trainAdapterRun, promptFormat: p.promptFormat, trainOnInputs: p.trainOnInputs, task,
    }, {
      signal: ctx.signal,
      onProgress: (e) => ctx.progress({ phase: `${e.id} (${e.variant + 1} of ${e.variants}): ${e.phase}`, done: e.done, total: e.total }),
    });
    return { result: JSON.parse(JSON.stringify(result)), html: renderAblationReport(result) };
  } catch (e) {
    throw e instanceof AblationError ? userError(`The ablation cannot run: ${e.message}.`, String(e)) : e;
  }
}
