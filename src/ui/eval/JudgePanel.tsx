/**
 * The AlpaGasus judge: A against B on each test set, both orders asked, win / tie / lose counted as the paper does.
 * A and B are this model with and without the adapter (answers generated in the eval worker on the catalogue's
 * Koala, Vicuna, WizardLM and Self-Instruct sets, downloaded at their pinned commit), or two predictions files. The
 * judge is an OpenAI-compatible endpoint (the key stays in this form and the one call), this tab's model, or an
 * ONNX instruct model run in the tab by transformers.js. The result is the stacked bar chart per test set.
 */
import { For, Show, createEffect, createSignal } from 'solid-js';
import type { JudgeBackendSpec, JudgeParams, JudgeResult, TextFile } from '../../protocol/eval-api';
import { Card, NumberField, SelectField, TextField } from '../fields';
import type { Client } from '../../protocol/client';
import type { DatasetEntry, IngestApi } from '../../protocol/ingest-api';
import { download } from '../stores/actions';
import type { EvalEngine } from '../stores/eval-engine';
import { FilePick } from './FilePick';
import { fetchTestSet, judgeSets } from './test-sets';
import { WinTieLoseChart } from './WinTieLoseChart';

export const DEFAULT_JUDGE_MODEL = 'onnx-community/Qwen2.5-0.5B-Instruct';

type Mode = JudgeParams['mode'];
type Backend = JudgeBackendSpec['kind'];

export function JudgePanel(props: { engine: EvalEngine; active: () => boolean; ingest: () => Client<IngestApi> }) {
  const [mode, setMode] = createSignal<Mode>('adapter');
  const [sets, setSets] = createSignal<DatasetEntry[]>([]);
  const [picked, setPicked] = createSignal<ReadonlySet<string>>(new Set());
  const [limit, setLimit] = createSignal(10);
  const [answerTokens, setAnswerTokens] = createSignal(64);
  const [a, setA] = createSignal<TextFile | null>(null);
  const [b, setB] = createSignal<TextFile | null>(null);
  const [backend, setBackend] = createSignal<Backend>('local');
  const [url, setUrl] = createSignal('https://api.openai.com/v1');
  const [model, setModel] = createSignal('gpt-4o-mini');
  const [key, setKey] = createSignal('');
  const [repo, setRepo] = createSignal(DEFAULT_JUDGE_MODEL);
  const [result, setResult] = createSignal<JudgeResult | null>(null);
  let asked = false;

  // The catalogue is read when the screen is first shown (the ingest worker does not start at page load).
  createEffect(() => {
    if (!props.active() || asked) return;
    asked = true;
    props.ingest().call('manifest', {}).then((c) => {
      const s = judgeSets(c.datasets);
      setSets(s);
      setPicked(new Set(s.filter((e) => e.id === 'vicuna-test').map((e) => e.id))); // the smallest (80 questions)
    }, () => undefined); // no catalogue: the files mode still works
  });

  const spec = (): JudgeBackendSpec => (backend() === 'endpoint' ? { kind: 'endpoint', baseUrl: url(), model: model(), apiKey: key() } : backend() === 'transformers' ? { kind: 'transformers', repo: repo() } : { kind: 'local' });
  const toggle = (id: string, on: boolean) => setPicked(new Set([...picked()].filter((x) => x !== id).concat(on ? [id] : [])));

  const runIt = async () => {
    const common = { backend: spec(), limit: limit() };
    let params: JudgeParams | ((signal: AbortSignal) => Promise<JudgeParams>);
    if (mode() === 'files') {
      const fa = a(), fb = b();
      if (!fa || !fb) return props.engine.setError({ message: 'Pick both predictions files (A and B) first.', details: '' });
      params = { ...common, mode: 'files', a: fa, b: fb };
    } else {
      const chosen = sets().filter((e) => picked().has(e.id));
      if (!chosen.length) return props.engine.setError({ message: 'Tick at least one test set to judge on.', details: '' });
      params = async (signal) => ({ ...common, mode: 'adapter', answerTokens: answerTokens(), sets: await Promise.all(chosen.map((e) => fetchTestSet(e, signal))) });
    }
    const r = await props.engine.run('judge', params, { withAdapter: mode() === 'adapter' });
    if (r) setResult(r);
  };

  return (
    <Card title="Judge (AlpaGasus)">
      <div class="field-grid">
        <SelectField<Mode> label="Compare" value={mode()} onChange={setMode} disabled={props.engine.running()} help="A is counted against B."
          options={[{ value: 'adapter', label: 'This model with the adapter (A) vs without (B)' }, { value: 'files', label: 'Two predictions files (A vs B)' }]} />
        <SelectField<Backend> label="Judge" value={backend()} onChange={setBackend} disabled={props.engine.running()} help="Who scores the two answers 1-10."
          options={[{ value: 'local', label: "This tab's model" }, { value: 'transformers', label: 'In-tab instruct model (transformers.js)' }, { value: 'endpoint', label: 'OpenAI-compatible endpoint' }]} />
        <NumberField label="Questions per set" value={limit()} min={0} step={1} onChange={(v) => setLimit(Math.max(0, Math.round(v)))} disabled={props.engine.running()} help="0 judges them all." />
      </div>
      <Show when={mode() === 'adapter'}>
        <fieldset class="eval-sets" disabled={props.engine.running()}>
          <legend>Test sets</legend>
          <Show when={sets().length} fallback={<p class="field-help">Reading the catalogue… (or pick two predictions files instead)</p>}>
            <For each={sets()}>{(e) => <label class="field-check"><input type="checkbox" checked={picked().has(e.id)} onChange={(ev) => toggle(e.id, ev.currentTarget.checked)} /> {e.name}{e.records && !/questions/.test(e.name) ? ` (${e.records} questions)` : ''}</label>}</For>
          </Show>
        </fieldset>
        <NumberField label="Answer tokens (A and B)" value={answerTokens()} min={1} max={1024} step={1} onChange={(v) => setAnswerTokens(Math.max(1, Math.round(v)))} disabled={props.engine.running()} help="New tokens per answer of A and B (greedy)." />
      </Show>
      <Show when={mode() === 'files'}>
        <div class="field-grid">
          <FilePick label="Predictions A" accept=".jsonl,.json" onFile={setA} disabled={props.engine.running()} help="JSON Lines {id, question, output} (Batch prediction writes them)." />
          <FilePick label="Predictions B" accept=".jsonl,.json" onFile={setB} disabled={props.engine.running()} help="The same ids, answered by the other model." />
        </div>
      </Show>
      <Show when={backend() === 'endpoint'}>
        <div class="field-grid">
          <TextField label="Endpoint URL" value={url()} onChange={setUrl} disabled={props.engine.running()} help="…/v1 of any OpenAI-compatible server." />
          <TextField label="Judge model name" value={model()} onChange={setModel} disabled={props.engine.running()} help="AlpaGasus used GPT-4." />
          <div class="field">
            <label class="field-label" for="judge-key">API key</label>
            <input id="judge-key" type="password" autocomplete="off" value={key()} onInput={(e) => setKey(e.currentTarget.value)} disabled={props.engine.running()} />
            <span class="field-help">Kept in this form only: never saved, never in a link.</span>
          </div>
        </div>
      </Show>
      <Show when={backend() === 'transformers'}>
        <TextField label="Judge model id" value={repo()} onChange={setRepo} disabled={props.engine.running()} help="An ONNX text-generation model on the hub; downloaded on first use (q4 on wasm, q4f16 on WebGPU)." />
      </Show>
      <div class="button-row">
        <button type="button" class="primary" disabled={props.engine.running()} onClick={() => void runIt()}>Run judge</button>
        <Show when={result()}>{(r) => <button type="button" onClick={() => download(new TextEncoder().encode(r().jsonl), 'judgements.jsonl', 'application/jsonl')}>Download judgements</button>}</Show>
      </div>
      <Show when={result()}>
        {(r) => (
          <div class="eval-result">
            <WinTieLoseChart summary={r().summary} />
            <p role="status">Judged by {r().judge}: {r().summary.n} questions; winning score {r().summary.winningScore === null ? 'n/a' : r().summary.winningScore!.toFixed(3)} ((win − lose) / counted + 1; above 1 means A is better).</p>
          </div>
        )}
      </Show>
    </Card>
  );
}
