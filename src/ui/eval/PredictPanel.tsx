/**
 * Batch prediction: a prompts file (unified records, the AlpaGasus test sets, GSM8K, {prompt} rows) through this
 * model, with or without the adapter, greedy, to JSON Lines ({id, prompt, output, question, ...}). Lines arrive as
 * the worker finishes each batch and are kept here, so after Stop the same button goes on where it stopped (the ids
 * done are skipped). A new file starts over. Not kept: results across a page reload.
 */
import { Show, createSignal } from 'solid-js';
import type { PredictionRecord, TextFile } from '../../protocol/eval-api';
import { CheckField, Card, NumberField } from '../fields';
import { download } from '../stores/actions';
import type { EvalEngine } from '../stores/eval-engine';
import { FilePick } from './FilePick';

export function PredictPanel(props: { engine: EvalEngine }) {
  const [data, setData] = createSignal<TextFile | null>(null);
  const [maxNew, setMaxNew] = createSignal(64);
  const [withAdapter, setWithAdapter] = createSignal(true);
  const [lines, setLines] = createSignal<PredictionRecord[]>([]);
  const [total, setTotal] = createSignal(0);
  const [note, setNote] = createSignal<string | null>(null);
  const key = () => `${withAdapter()} ${maxNew()}`;
  let linesKey = '';

  const runIt = async () => {
    const f = data();
    if (!f) return props.engine.setError({ message: 'Pick a prompts file first (JSON or JSONL).', details: '' });
    if (linesKey !== key()) setLines([]); // other settings: the lines so far are not this run's
    linesKey = key();
    const r = await props.engine.run('predict', { data: f, withAdapter: withAdapter(), maxNewTokens: maxNew(), done: lines().map((l) => l.id) }, {
      withAdapter: withAdapter(),
      onProgress: (p) => {
        setTotal(p.total);
        if (p.lines) setLines([...lines(), ...p.lines]);
      },
    });
    setNote(r ? `Done: ${r.generated} generated${r.skipped ? `, ${r.skipped} kept from before` : ''}.` : lines().length < total() ? `Stopped: ${lines().length} of ${total()} kept; Run batch prediction goes on from there.` : null);
  };

  return (
    <Card title="Batch prediction">
      <div class="field-grid">
        <FilePick label="Prompts file" accept=".json,.jsonl" onFile={(f) => (setData(f), setLines([]), setNote(null))} disabled={props.engine.running()}
          help="Records ({instruction, input}), messages, {prompt} rows, GSM8K, or an AlpaGasus test set (Koala, Vicuna, WizardLM, Self-Instruct)." />
        <NumberField label="Answer tokens" value={maxNew()} min={1} max={1024} step={1} onChange={(v) => setMaxNew(Math.max(1, Math.round(v)))} disabled={props.engine.running()}
          help="New tokens per answer at most (greedy decoding)." />
        <CheckField label="Predict with the adapter" checked={withAdapter()} onChange={setWithAdapter} disabled={props.engine.running()}
          help="Off: the base model answers." />
      </div>
      <div class="button-row">
        <button type="button" class="primary" disabled={props.engine.running()} onClick={() => void runIt()}>Run batch prediction</button>
        <button type="button" disabled={!lines().length} onClick={() => download(new TextEncoder().encode(lines().map((l) => `${JSON.stringify(l)}\n`).join('')), `predictions-${(data()?.name ?? 'data').replace(/\.[^.]+$/, '')}.jsonl`, 'application/jsonl')}>
          Download predictions
        </button>
      </div>
      <Show when={note()}><p role="status">{note()}</p></Show>
    </Card>
  );
}
