/**
 * Benchmarks: a file the user picks (a CMMLU / C-Eval CSV, MMCU JSON, records with options, GSM8K-style records or
 * any instruction data) scored by the eval worker, which detects the task: multiple choice (the accuracy table per
 * subject and overall), exact match (the same table) or perplexity (loss and perplexity). Per-item results download
 * as JSON Lines. Not handled: a folder of subject files in one run (pick one file per run).
 */
import { Match, Show, Switch, createSignal } from 'solid-js';
import type { BenchmarkResult, TextFile } from '../../protocol/eval-api';
import { CheckField, Card, NumberField } from '../fields';
import { download } from '../stores/actions';
import type { EvalEngine } from '../stores/eval-engine';
import { AccuracyTable } from './AccuracyTable';
import { FilePick } from './FilePick';

const TASK_NAME = { 'multiple-choice': 'Multiple choice', 'exact-match': 'Exact match', perplexity: 'Perplexity' } as const;

export function BenchmarkPanel(props: { engine: EvalEngine }) {
  const [data, setData] = createSignal<TextFile | null>(null);
  const [dev, setDev] = createSignal<TextFile | null>(null);
  const [shots, setShots] = createSignal(0);
  const [limit, setLimit] = createSignal(0);
  const [withAdapter, setWithAdapter] = createSignal(false);
  const [result, setResult] = createSignal<BenchmarkResult | null>(null);

  const runIt = async () => {
    const f = data();
    if (!f) return props.engine.setError({ message: 'Pick a benchmark file first (CSV, JSON or JSONL).', details: '' });
    const d = dev();
    const r = await props.engine.run('benchmark', { data: f, ...(d ? { dev: d } : {}), shots: shots(), limit: limit(), withAdapter: withAdapter() }, { withAdapter: withAdapter() });
    if (r) setResult(r);
  };

  return (
    <Card title="Benchmarks">
      <p class="field-help">Multiple choice is scored by the likelihood of each option letter (as LLaMA-Factory's MMLU / C-Eval / CMMLU evaluation), exact match by the answer extracted from a generated reply, anything else by eval loss and perplexity.</p>
      <div class="field-grid">
        <FilePick label="Benchmark file" accept=".csv,.json,.jsonl" onFile={(f) => (setData(f), setResult(null))} disabled={props.engine.running()}
          help="A CMMLU / C-Eval CSV (,Question,A,B,C,D,Answer), MMCU JSON, records with options, GSM8K-style records, or instruction data." />
        <FilePick label="Dev file (for shots)" accept=".csv,.json,.jsonl" onFile={setDev} disabled={props.engine.running()}
          help="Multiple choice: solved examples are taken from here, the same subject first." />
        <NumberField label="Shots" value={shots()} min={0} max={10} step={1} onChange={(v) => setShots(Math.max(0, Math.round(v)))} disabled={props.engine.running()}
          help="Solved examples before each question (needs a dev file)." />
        <NumberField label="Item limit" value={limit()} min={0} step={1} onChange={(v) => setLimit(Math.max(0, Math.round(v)))} disabled={props.engine.running()}
          help="Score only the first N items; 0 scores them all." />
        <CheckField label="Score with the adapter" checked={withAdapter()} onChange={setWithAdapter} disabled={props.engine.running()}
          help="Off: the base model. On: the adapter as training left it now." />
      </div>
      <div class="button-row">
        <button type="button" class="primary" disabled={props.engine.running()} onClick={() => void runIt()}>Run benchmark</button>
        <Show when={result()}>{(r) => <button type="button" onClick={() => download(new TextEncoder().encode(r().jsonl), `eval-${(data()?.name ?? 'benchmark').replace(/\.[^.]+$/, '')}.jsonl`, 'application/jsonl')}>Download per-item results</button>}</Show>
      </div>
      <Show when={result()}>
        {(r) => (
          <div class="eval-result" data-task={r().task}>
            <p role="status">{TASK_NAME[r().task]} ({r().reason}): {r().n} items scored{r().task !== 'perplexity' && (r() as { skipped: number }).skipped ? `, ${(r() as { skipped: number }).skipped} multi-answer rows skipped` : ''}.</p>
            <Switch>
              <Match when={r().task === 'perplexity' && (r() as Extract<BenchmarkResult, { task: 'perplexity' }>)}>
                {(p) => <p class="eval-numbers">Eval loss <strong>{p().loss.toFixed(4)}</strong> nats/token, perplexity <strong>{p().perplexity.toFixed(3)}</strong> over {p().tokens.toLocaleString('en-US')} learned tokens.</p>}
              </Match>
              <Match when={r().task !== 'perplexity' && (r() as Extract<BenchmarkResult, { task: 'multiple-choice' | 'exact-match' }>)}>
                {(a) => <AccuracyTable result={a()} />}
              </Match>
            </Switch>
          </div>
        )}
      </Show>
    </Card>
  );
}
