/**
 * The Experiment screen: the summary card (model, data, method, training and generation settings in one place),
 * the model picker, presets as cards (AlpaGasus opens the Data screen's filter), and the classroom results (table
 * and chart) when `/data/classroom-results.json` is there.
 */
import { For, Show, createResource } from 'solid-js';
import type { Controller } from './stores/controller';
import { PRESETS } from './presets';
import { ModelPicker } from './ModelPicker';
import { Card } from './fields';
import { ClassroomResults, loadClassroom } from './ClassroomResults';
import { isBusy } from './stores/run-state';
import { ingestFor } from './data/ingest-for';

/** A preset's first step on the Data screen: its tab, the AlpaGasus filter scrolled into view, the source chosen. */
function openFilter(ctl: Controller, source: string): void {
  ingestFor(ctl).setFilterSource(source);
  document.getElementById('tab-data')?.click();
  requestAnimationFrame(() => {
    const select = document.getElementById('filter-source');
    select?.closest('.card')?.scrollIntoView({ block: 'start' });
    select?.focus();
  });
}

export function ExperimentScreen(props: { ctl: Controller }) {
  const ctl = props.ctl;
  const x = () => ctl.exp;
  const [classroom] = createResource(loadClassroom);
  const modelLine = () => {
    const m = x().model;
    const st = ctl.model();
    const info = st.state === 'ready' ? ` — ${st.info.family}, ${(st.info.parameters / 1e6).toFixed(2)}M parameters, ${st.info.layers} layers` : '';
    const q = x().quantize;
    const base = q && q.mode !== 'none' ? `; base quantized ${q.mode}, groups of ${q.groupSize}` : '';
    return (m.kind === 'url' ? m.label : m.kind === 'hub' ? `${m.repo} (hub)` : `${m.label} (files from disk)`) + info + base;
  };

  return (
    <div class="experiment-screen">
      <Card title="This experiment">
        <dl class="summary">
          <div><dt>Model</dt><dd>{modelLine()}</dd></div>
          <div><dt>Data</dt><dd>{x().data.map((d) => `${d.name}${d.weight < 1 ? ` (${Math.round(d.weight * 100)}%)` : ''}`).join(', ') || 'none yet'}</dd></div>
          <div><dt>Method</dt><dd>{x().peft.method === 'LORA' ? `LoRA r=${x().peft.r}, alpha=${x().peft.alpha}, dropout ${x().peft.dropout} on ${x().peft.targetModules.join(', ')}` : x().peft.method}</dd></div>
          <div><dt>Training</dt><dd>{x().train.maxSteps} steps, batch {x().train.batchSize} × {x().train.gradAccum}, lr {x().train.lr}, cutoff {x().train.cutoffLen} tokens, seed {x().train.seed}</dd></div>
          <div><dt>Generation</dt><dd>{x().generation.doSample ? `sampling, temperature ${x().generation.temperature}, top-p ${x().generation.topP}, top-k ${x().generation.topK}` : 'greedy'}, up to {x().generation.maxNewTokens} new tokens</dd></div>
        </dl>
        <p class="field-help">Change the method and training settings on the Train screen, the data on the Data screen, and sampling on the Chat screen. Every setting goes into "Copy share link".</p>
      </Card>
      <Card title="Model">
        <ModelPicker ctl={ctl} />
      </Card>
      <Card title="Presets">
        <div class="preset-grid">
          <For each={PRESETS}>
            {(p) => (
              <article class="preset">
                <h4>{p.title}</h4>
                <p>{p.description}</p>
                <button type="button" disabled={isBusy(ctl.run.phase)} aria-label={`Use preset: ${p.title}`} onClick={() => {
                  const err = ctl.replaceExperiment(p.build(ctl.index()));
                  if (err) ctl.setError({ message: `The preset could not be applied: ${err}`, details: '' });
                  else void ctl.ensureModel();
                  if (!err && p.filterSource) openFilter(ctl, p.filterSource);
                }}>Use this preset</button>
              </article>
            )}
          </For>
        </div>
      </Card>
      <Show when={classroom()}>{(c) => <ClassroomResults data={c()} />}</Show>
    </div>
  );
}
