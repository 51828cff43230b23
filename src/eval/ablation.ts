/**
 * The ablation runner (Alpaca-CoT's "w/o CoT", "w/o CN"): one base recipe, a data mix of named sources, and
 * variants that each add or remove one source; every variant trains a fresh adapter on the same loaded base with the
 * SAME seeds (mix sampling, data order, adapter init, dropout) and settings, and is scored on the SAME evaluation
 * sets: the held-out loss / perplexity always, and exact match, multiple choice or a second perplexity file when one
 * is given. Held-out records are taken from every source before mixing (a seeded share of each, as train's
 * eval-split: a fraction, or a count capped at a tenth of the source), so "w/o CN" is still scored on held-out
 * Chinese records and the loss per source shows what removing it cost. Browser-safe: the caller loads the model and
 * the records (node/commands/ablate.ts from files, the app from its stores) and passes the training loop
 * (train/adapter-run.ts's trainAdapterRun: eval/ may not import train/). Not handled: full fine-tuning (it would
 * change the shared base), memory planning (the caller picks settings that fit), several seeds per variant.
 */
import { mixRecords, type MixBreakdown, type MixStrategy } from '../data/mix';
import type { UnifiedRecord } from '../data/records';
import { splitTrainEval } from '../data/split';
import { tokenizeRecords, type ExampleTokenizer, type TokenizedExample } from '../data/tokenize-example';
import type { GenerationOptions } from '../generate/options';
import type { Model } from '../model/types';
import { attachAdapter, type Adapter, type PeftConfig } from '../peft';
import { applyChatTemplate } from '../tokenizer/chat-template';
import type { TextTokenizer } from '../tokenizer/tokenizer';
import type { TrainConfig } from '../train/config';
import type { AdapterRunCurves, AdapterRunJob } from '../train/adapter-run';
import { evaluateExactMatch } from './exact-match-eval';
import type { McItem } from './mc-items';
import { nextTokenLogits } from './model-scoring';
import { evaluateMultipleChoice, type McMessage, type SubjectScore } from './multiple-choice';
import { evaluatePerplexity } from './perplexity';
import type { PromptRow } from './prompt-rows';

export class AblationError extends Error {
  override name = 'AblationError';
}

/** One variant's edit of the base recipe. */
export type AblationChange = { kind: 'base' } | { kind: 'without'; source: string } | { kind: 'with'; source: string };

/** The optional task set every variant is scored on besides the held-out loss. */
export type AblationTask =
  | { kind: 'exact-match'; label: string; rows: PromptRow[]; generation?: Partial<GenerationOptions>; batchSize?: number }
  | { kind: 'multiple-choice'; label: string; items: McItem[]; dev?: McItem[]; shots?: number }
  | { kind: 'perplexity'; label: string; records: UnifiedRecord[] };

export interface AblationSpec {
  /** A title, e.g. 'alpaca + cot-en + cot-cn'. */
  name: string;
  /** The loaded base: each variant attaches (and frees) its own adapter; the weights are never changed. */
  model: Model;
  tokenizer: TextTokenizer & ExampleTokenizer;
  /** Shown in the report, e.g. 'webift-tiny (embedded)'. */
  modelLabel: string;
  /** True for the tiny embedded model: the report then says its numbers show the mechanics, not a finding. */
  embedded: boolean;
  /** Records of every source the base or a variant uses, by source id (e.g. a datasets-manifest id). */
  sources: Record<string, UnifiedRecord[]>;
  /** The base recipe's sources, in mix order. */
  base: string[];
  /** One variant each, after the base: remove a base source or add another one. */
  changes: ({ without: string } | { with: string })[];
  /** How the sources are combined (data/mix.ts); default concat, as Alpaca-CoT's combined files. */
  strategy?: MixStrategy;
  /** LoRA, DoRA, IA3, AdaLoRA or prompt learning; full fine-tuning is refused. */
  peft: PeftConfig;
  /** Training settings, resolved (train/config.ts resolveTrainConfig); evalSplit is the held-out share or count per source (0: 0.1). */
  train: TrainConfig;
  /** The training loop: train/adapter-run.ts's trainAdapterRun (tests may pass another). */
  trainer: (job: AdapterRunJob) => Promise<AdapterRunCurves>;
  promptFormat?: 'alpaca' | 'chat' | 'auto';
  trainOnInputs?: boolean;
  task?: AblationTask;
}

export interface AblationProgress {
  /** 0-based index of the variant being run, and how many there are. */
  variant: number;
  variants: number;
  id: string;
  phase: 'train' | 'held-out' | 'task' | 'done';
  /** train: optimizer steps; held-out / task: items scored. */
  done: number;
  total: number;
  loss?: number;
}

export interface PerplexityScore {
  n: number;
  tokens: number;
  loss: number;
  perplexity: number;
}

export interface AblationVariantResult {
  /** 'base', 'without-<source>' or 'with-<source>'. */
  id: string;
  /** 'base', 'w/o <source>' or 'w/ <source>'. */
  label: string;
  change: AblationChange;
  /** The sources this variant trains on, in mix order. */
  sources: string[];
  /** Records taken from each source (data/mix.ts breakdown, after the held-out part is removed). */
  mix: MixBreakdown[];
  records: number;
  /** Tokenized training examples (records the tokenizer rejected are left out and counted). */
  examples: number;
  rejected: number;
  steps: number;
  /** Mean loss of the last 10 optimizer steps (fewer in a shorter run). */
  finalTrainLoss: number;
  lossCurve: { step: number; loss: number }[];
  /** The trainer's periodic eval loss on the held-out examples (only with evalEvery > 0). */
  evalCurve: { step: number; loss: number }[];
  heldOut: PerplexityScore & { bySource: Record<string, PerplexityScore> };
  task: { kind: AblationTask['kind']; label: string; n: number; accuracy?: number; loss?: number; perplexity?: number; bySubject?: Record<string, SubjectScore> } | null;
  seconds: { train: number; eval: number };
}

export interface AblationResult {
  version: 1;
  name: string;
  model: { label: string; embedded: boolean };
  /** The settings every variant shared. */
  settings: { train: TrainConfig; peft: PeftConfig; strategy: MixStrategy; promptFormat: string; trainOnInputs: boolean };
  /** Held-out records per source and in all (the same for every variant). */
  heldOut: { bySource: Record<string, number>; total: number };
  task: { kind: AblationTask['kind']; label: string; n: number } | null;
  variants: AblationVariantResult[];
  startedAt: string;
  seconds: number;
}

export interface AblationRunOptions {
  onProgress?: (p: AblationProgress) => void;
  signal?: AbortSignal;
  /** Milliseconds; default Date.now (tests pass a fake clock to compare whole results). */
  clock?: () => number;
}

/** The variants a spec asks for (base first), checked against the sources: one AblationError names the problem. */
export function planVariants(spec: Pick<AblationSpec, 'base' | 'changes' | 'sources'>): { id: string; label: string; change: AblationChange; sources: string[] }[] {
  const known = (id: string) => {
    if (!Object.hasOwn(spec.sources, id)) throw new AblationError(`no records for source '${id}' (sources: ${Object.keys(spec.sources).join(', ')})`);
  };
  if (!spec.base.length) throw new AblationError('the base recipe has no data source');
  if (new Set(spec.base).size !== spec.base.length) throw new AblationError(`the base recipe names a source twice: ${spec.base.join(', ')}`);
  spec.base.forEach(known);
  const out = [{ id: 'base', label: 'base', change: { kind: 'base' } as AblationChange, sources: [...spec.base] }];
  for (const c of spec.changes) {
    if ('without' in c) {
      if (!spec.base.includes(c.without)) throw new AblationError(`--without ${c.without}: not a source of the base recipe (${spec.base.join(', ')})`);
      if (spec.base.length === 1) throw new AblationError(`--without ${c.without}: the base recipe has no other source to train on`);
      out.push({ id: `without-${c.without}`, label: `w/o ${c.without}`, change: { kind: 'without', source: c.without }, sources: spec.base.filter((s) => s !== c.without) });
    } else {
      known(c.with);
      if (spec.base.includes(c.with)) throw new AblationError(`--with ${c.with}: already a source of the base recipe`);
      out.push({ id: `with-${c.with}`, label: `w/ ${c.with}`, change: { kind: 'with', source: c.with }, sources: [...spec.base, c.with] });
    }
  }
  const ids = out.map((v) => v.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new AblationError(`the variant '${dup}' is asked for twice`);
  return out;
}

/** Each source's records split into the part variants train on and the held-out part (seeded, per source). */
export function holdOutPerSource(sources: Record<string, UnifiedRecord[]>, ids: string[], evalSplit: number, seed: number): { train: Record<string, UnifiedRecord[]>; heldOut: Record<string, UnifiedRecord[]> } {
  const train: Record<string, UnifiedRecord[]> = {}, heldOut: Record<string, UnifiedRecord[]> = {};
  for (const id of ids) {
    const all = sources[id];
    const k = evalSplit < 1 ? undefined : Math.min(evalSplit, Math.floor(all.length / 10));
    const s = all.length < 2 ? { train: all, eval: [] } : splitTrainEval(all, k === undefined ? { evalFraction: evalSplit, seed } : { evalSize: k, seed });
    train[id] = s.train;
    heldOut[id] = s.eval;
  }
  return { train, heldOut };
}

const now = () => Date.now();
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export async function runAblation(spec: AblationSpec, opts: AblationRunOptions = {}): Promise<AblationResult> {
  const clock = opts.clock ?? now;
  const started = clock();
  const variants = planVariants(spec);
  if (spec.peft === null) throw new AblationError('an ablation trains an adapter per variant on one shared base: full fine-tuning is not supported');
  const config: TrainConfig = { ...spec.train, evalSplit: spec.train.evalSplit || 0.1, checkpointEvery: 0 };
  const strategy = spec.strategy ?? 'concat';
  const promptFormat = spec.promptFormat ?? 'auto', trainOnInputs = spec.trainOnInputs ?? false;
  const tok = spec.tokenizer;
  const tokOpts = { cutoffLen: config.cutoffLen, promptFormat, trainOnInputs };
  const padId = tok.padTokenId ?? tok.eosTokenId ?? 0;

  // The held-out set: the same records for every variant, from every source any variant uses.
  const used = [...new Set(variants.flatMap((v) => v.sources))];
  const { train: trainParts, heldOut } = holdOutPerSource(spec.sources, used, config.evalSplit, config.seed);
  const heldExamples: { ex: TokenizedExample; source: string }[] = [];
  let firstRejection = '';
  for (const id of used) {
    const t = tokenizeRecords(heldOut[id], tok, tokOpts);
    for (const ex of t.examples) heldExamples.push({ ex, source: id });
    firstRejection ||= t.rejected[0] ? ` (${id} ${t.rejected[0].where}: ${t.rejected[0].reason})` : '';
  }
  if (!heldExamples.length) throw new AblationError(`no held-out example: the sources are too small to hold any out, or every held-out record was rejected${firstRejection}`);
  const taskExamples = spec.task?.kind === 'perplexity' ? tokenizeRecords(spec.task.records, tok, tokOpts).examples : null;
  if (taskExamples && !taskExamples.length) throw new AblationError(`${spec.task!.label}: no record to score`);
  const taskN = !spec.task ? 0 : spec.task.kind === 'exact-match' ? spec.task.rows.length : spec.task.kind === 'multiple-choice' ? spec.task.items.length : taskExamples!.length;

  const results: AblationVariantResult[] = [];
  for (const [vi, v] of variants.entries()) {
    opts.signal?.throwIfAborted();
    const progress = (phase: AblationProgress['phase'], done: number, total: number, loss?: number) =>
      opts.onProgress?.({ variant: vi, variants: variants.length, id: v.id, phase, done, total, ...(loss === undefined ? {} : { loss }) });
    const mixed = mixRecords({ name: v.id, sources: v.sources.map((id) => ({ id })), strategy, seed: config.seed }, trainParts);
    const tk = tokenizeRecords(mixed.records, tok, tokOpts);
    if (!tk.examples.length) throw new AblationError(`${v.label}: no usable training record (${tk.rejected.length} rejected${tk.rejected[0] ? `; first: ${tk.rejected[0].where}: ${tk.rejected[0].reason}` : ''})`);
    const t0 = clock();
    const adapter = attachAdapter(spec.model, spec.peft, { seed: config.seed });
    try {
      let curves: AdapterRunCurves;
      try {
        curves = await spec.trainer({
          model: spec.model, adapter, examples: tk.examples, heldOut: heldExamples.map((h) => h.ex), config, padId, signal: opts.signal, clock,
          onStep: (step, total, loss) => progress('train', step, total, loss),
        });
      } catch (e) {
        opts.signal?.throwIfAborted();
        throw new AblationError(`${v.label}: ${(e as Error).message}`);
      }
      const { lossCurve, evalCurve } = curves;
      if (!lossCurve.length) throw new AblationError(`${v.label}: training ran no step`);
      const t1 = clock();
      const ppl = await evaluatePerplexity({ model: spec.model, adapter, examples: heldExamples.map((h) => h.ex), signal: opts.signal, onItem: (_i, d, n) => progress('held-out', d, n) });
      const bySource: Record<string, PerplexityScore> = {};
      for (const id of used) {
        const items = ppl.items.filter((it) => heldExamples[it.index].source === id);
        const nll = items.reduce((a, it) => a + it.nll, 0), tokens = items.reduce((a, it) => a + it.tokens, 0);
        if (tokens) bySource[id] = { n: items.length, tokens, loss: nll / tokens, perplexity: Math.exp(nll / tokens) };
      }
      const task = await runTask(spec, adapter, taskExamples, opts.signal, (d) => progress('task', d, taskN));
      results.push({
        id: v.id, label: v.label, change: v.change, sources: v.sources, mix: mixed.plan.breakdown, records: mixed.records.length, examples: tk.examples.length,
        rejected: tk.rejected.length, steps: lossCurve.length, finalTrainLoss: mean(lossCurve.slice(-10).map((p) => p.loss)), lossCurve, evalCurve,
        heldOut: { n: ppl.n, tokens: ppl.tokens, loss: ppl.loss, perplexity: ppl.perplexity, bySource }, task,
        seconds: { train: (t1 - t0) / 1000, eval: (clock() - t1) / 1000 },
      });
      progress('done', vi + 1, variants.length);
    } finally {
      adapter.dispose();
    }
  }
  const heldCounts = Object.fromEntries(used.map((id) => [id, heldOut[id].length]));
  return {
    version: 1, name: spec.name, model: { label: spec.modelLabel, embedded: spec.embedded },
    settings: { train: config, peft: spec.peft, strategy, promptFormat, trainOnInputs },
    heldOut: { bySource: heldCounts, total: heldExamples.length },
    task: spec.task ? { kind: spec.task.kind, label: spec.task.label, n: taskN } : null,
    variants: results, startedAt: new Date(started).toISOString(), seconds: (clock() - started) / 1000,
  };
}

async function runTask(spec: AblationSpec, adapter: Adapter, examples: TokenizedExample[] | null, signal: AbortSignal | undefined, onDone: (done: number) => void): Promise<AblationVariantResult['task']> {
  const t = spec.task;
  if (!t) return null;
  if (t.kind === 'perplexity') {
    const r = await evaluatePerplexity({ model: spec.model, adapter, examples: examples!, signal, onItem: (_i, d) => onDone(d) });
    return { kind: t.kind, label: t.label, n: r.n, loss: r.loss, perplexity: r.perplexity };
  }
  if (t.kind === 'exact-match') {
    const r = await evaluateExactMatch({
      model: spec.model, tokenizer: spec.tokenizer, adapter, rows: t.rows, generation: t.generation, batchSize: t.batchSize,
      promptFormat: spec.promptFormat ?? 'auto', signal, onProgress: (p) => onDone(p.done),
    });
    return { kind: t.kind, label: t.label, n: r.n, accuracy: r.accuracy, bySubject: r.bySubject };
  }
  // As `webift eval`: the chat template when the format asks for it (auto: when the tokenizer has one), else plain text.
  const f = spec.promptFormat ?? 'auto', tok = spec.tokenizer;
  const chat = f === 'chat' || (f === 'auto' && !!tok.chatTemplate);
  const r = await evaluateMultipleChoice({
    items: t.items, dev: t.dev, shots: t.shots ?? 0, tokenizer: tok, logits: nextTokenLogits(spec.model, adapter),
    render: chat ? (msgs: McMessage[]) => applyChatTemplate(tok, msgs, { addGenerationPrompt: true }) : undefined, addSpecialTokens: !chat,
    maxPromptTokens: spec.model.config.maxPositions, signal, onPrediction: (_p, d) => onDone(d),
  });
  return { kind: t.kind, label: t.label, n: r.n, accuracy: r.accuracy, bySubject: r.bySubject };
}
