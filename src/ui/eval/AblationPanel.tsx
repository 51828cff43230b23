/**
 * Ablations (Alpaca-CoT's "w/o CoT"): the experiment's data mix is the base recipe; each ticked source gives a
 * variant trained without it, and a picked file gives one trained with it added. Every variant trains a fresh
 * adapter in the eval worker with the experiment's PEFT and training settings and the same seeds, and is scored on
 * the same held-out records (and a benchmark file when one is picked). The result: a table, the report's charts,
 * and "Export report" (one self-contained HTML file). Not handled: source shares (each source is used whole).
 */
import { For, Show, createSignal } from 'solid-js';
import { trainOverrides } from '../../experiment/experiment';
import type { AblateResult, TextFile } from '../../protocol/eval-api';
import { Card, NumberField } from '../fields';
import type { Client } from '../../protocol/client';
import type { IngestApi } from '../../protocol/ingest-api';
import { download } from '../stores/actions';
import { ingestSourceOf } from '../stores/catalogue';
import type { Controller } from '../stores/controller';
import type { EvalEngine } from '../stores/eval-engine';
import { FilePick } from './FilePick';

const num = (x: number | null | undefined, d = 4) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));

export function AblationPanel(props: { ctl: Controller; engine: EvalEngine; ingest: () => Client<IngestApi> }) {
  const ctl = props.ctl;
  const [without, setWithout] = createSignal<ReadonlySet<string>>(new Set());
  const [added, setAdded] = createSignal<TextFile | null>(null);
  const [task, setTask] = createSignal<TextFile | null>(null);
  const [steps, setSteps] = createSignal(20);
  const [out, setOut] = createSignal<AblateResult | null>(null);
  const toggle = (name: string, on: boolean) => setWithout(new Set([...without()].filter((x) => x !== name).concat(on ? [name] : [])));

  const runIt = async () => {
    const data = ctl.exp.data;
    const changes = [...[...without()].map((s) => ({ without: s })), ...(added() ? [{ with: added()!.name }] : [])];
    if (!changes.length) return props.engine.setError({ message: 'Tick a source to leave out, or pick a file to add: an ablation compares the base recipe with at least one variant.', details: '' });
    const r = await props.engine.run('ablate', async () => {
      const sources: Record<string, string> = {};
      for (const d of data) {
        const src = ingestSourceOf(d, ctl.dropped, location.origin);
        if (!src) throw Object.assign(new Error(`The data source '${d.name}' is not in this tab any more; drop its file on the Data screen again.`), { details: '' });
        sources[d.name] = (await props.ingest().call('records', { source: src })).jsonl;
      }
      const a = added();
      if (a) sources[a.name] = (await props.ingest().call('records', { source: { kind: 'text', name: a.name, text: a.text } })).jsonl;
      const t = task();
      return {
        name: data.map((d) => d.name).join(' + '), sources, base: data.map((d) => d.name), changes,
        peft: { ...ctl.exp.peft, targetModules: [...ctl.exp.peft.targetModules] }, train: { ...trainOverrides(ctl.exp.train), maxSteps: steps(), checkpointEvery: 0 },
        promptFormat: ctl.exp.train.promptFormat, trainOnInputs: ctl.exp.train.trainOnInputs, ...(t ? { task: t } : {}),
      };
    }, { withAdapter: false });
    if (r) setOut(r);
  };

  return (
    <Card title="Ablations">
      <p class="field-help">The base recipe is the experiment's data mix. Each variant trains its own adapter with the same settings and seeds; the session's adapter is not touched.</p>
      <fieldset class="eval-sets" disabled={props.engine.running()}>
        <legend>Variants without a source</legend>
        <For each={ctl.exp.data} fallback={<p class="field-help">The experiment has no data source yet.</p>}>
          {(d) => <label class="field-check"><input type="checkbox" checked={without().has(d.name)} onChange={(e) => toggle(d.name, e.currentTarget.checked)} /> w/o {d.name}</label>}
        </For>
      </fieldset>
      <div class="field-grid">
        <FilePick label="Source to add (variant with it)" accept=".json,.jsonl,.csv" onFile={setAdded} disabled={props.engine.running()} help="Instruction records; one more variant trains on the base mix plus this file." />
        <FilePick label="Ablation eval file" accept=".csv,.json,.jsonl" onFile={setTask} disabled={props.engine.running()} help="Optional: every variant is also scored on it (multiple choice, exact match or perplexity)." />
        <NumberField label="Steps per variant" value={steps()} min={1} step={1} onChange={(v) => setSteps(Math.max(1, Math.round(v)))} disabled={props.engine.running()} help="Optimizer steps each variant trains." />
      </div>
      <div class="button-row">
        <button type="button" class="primary" disabled={props.engine.running()} onClick={() => void runIt()}>Run ablation</button>
        <Show when={out()}>{(o) => <button type="button" onClick={() => download(new TextEncoder().encode(o().html), 'ablation-report.html', 'text/html')}>Export report</button>}</Show>
      </div>
      <Show when={out()}>
        {(o) => (
          <div class="eval-result">
            <table class="eval-table" aria-label="Ablation results">
              <thead><tr><th scope="col">Variant</th><th scope="col">Sources</th><th scope="col">Steps</th><th scope="col">Final train loss</th><th scope="col">Held-out loss</th><th scope="col">Perplexity</th><th scope="col">{o().result.task ? o().result.task!.label : 'Task'}</th></tr></thead>
              <tbody>
                <For each={o().result.variants}>
                  {(v) => (
                    <tr>
                      <th scope="row">{v.label}</th><td>{v.sources.join(', ')}</td><td>{v.steps}</td><td>{num(v.finalTrainLoss)}</td><td>{num(v.heldOut.loss)}</td><td>{num(v.heldOut.perplexity, 3)}</td>
                      <td>{v.task ? (v.task.accuracy !== undefined ? `${(100 * v.task.accuracy).toFixed(1)}%` : num(v.task.loss)) : '–'}</td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
            <iframe class="ablation-report" title="Ablation report" sandbox="" srcdoc={o().html} />
          </div>
        )}
      </Show>
    </Card>
  );
}
