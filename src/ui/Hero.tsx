/**
 * The first minute (UX.md): one sentence on what will happen, the big "Start training" (or "Stop training"), and
 * "Export adapter" and "Copy share link", visible from the start. Also the resume offer after a reload, the run's
 * status line, and, when the embedded model is missing, a clear way to pick another one.
 */
import { Match, Show, Switch, createSignal } from 'solid-js';
import type { Controller } from './stores/controller';
import { copyShareLink, exportAdapter } from './stores/actions';
import { formatSeconds, isBusy } from './stores/run-state';
import { ErrorNote } from './ErrorNote';
import { ModelPicker } from './ModelPicker';
import { createPause } from './stores/pause-store';

export function Hero(props: { ctl: Controller; minutes: () => number | null }) {
  const ctl = props.ctl;
  const [shared, setShared] = createSignal<{ url: string; copied: boolean } | null>(null);
  const [saved, setSaved] = createSignal<string | null>(null);
  const pauser = createPause(ctl);
  const training = () => ctl.run.phase === 'training' || ctl.run.phase === 'stopping';
  const modelName = () => (ctl.model().state === 'ready' ? (ctl.model() as { info: { label: string } }).info.label : ctl.exp.model.kind === 'url' ? ctl.exp.model.label : ctl.exp.model.kind === 'hub' ? ctl.exp.model.repo : ctl.exp.model.label);

  return (
    <section class="hero" aria-label="Start here">
      <p class="hero-sentence">
        Press <strong>Start training</strong> to teach <strong>{modelName()}</strong> to follow instructions from {ctl.exp.data.length || 'no'} data source{ctl.exp.data.length === 1 ? '' : 's'} with a small {ctl.exp.peft.method === 'LORA' ? `LoRA adapter (rank ${ctl.exp.peft.r})` : `${ctl.exp.peft.method} adapter`}
        <Show when={props.minutes() !== null}> (about {props.minutes()! < 1 ? 'a minute' : `${Math.round(props.minutes()!)} minutes`} on this device)</Show>
        : the loss curve shows it learning, and the chat compares the model before and after.
      </p>
      <Show when={ctl.resumeOffer()}>
        {(o) => (
          <div class="resume-offer" role="status">
            <span>An earlier run stopped at step {o().step} (checkpoint {o().checkpoint} is saved in this browser).</span>
            <button type="button" class="primary" onClick={() => void ctl.resume()}>Resume training</button>
            <button type="button" onClick={() => ctl.setResumeOffer(null)}>Dismiss</button>
          </div>
        )}
      </Show>
      <div class="hero-actions">
        <Show when={training()} fallback={
          <button type="button" class="primary big" disabled={isBusy(ctl.run.phase) || ctl.model().state === 'missing'} onClick={() => void ctl.start(false)}>Start training</button>
        }>
          <button type="button" class="big" disabled={ctl.run.phase !== 'training' || pauser.pausing()} onClick={() => void (pauser.paused() ? pauser.resume() : pauser.pause())}>{pauser.paused() ? 'Continue training' : 'Pause training'}</button>
          <button type="button" class="danger big" disabled={ctl.run.phase === 'stopping'} onClick={() => void ctl.stop()}>Stop training</button>
        </Show>
        <button type="button" onClick={async () => setSaved(await exportAdapter(ctl, 'peft'))}>Export adapter</button>
        <button type="button" onClick={async () => setShared(await copyShareLink(ctl, location.href))}>Copy share link</button>
      </div>
      <div class="hero-status" role="status" aria-live="polite" data-phase={ctl.run.phase}>
        <Switch fallback={<span>{ctl.run.note || 'Ready.'}</span>}>
          <Match when={ctl.run.phase === 'loading-model'}>
            <span>Loading the model… {ctl.model().state === 'loading' ? progressText(ctl.model() as { file: string; loaded: number; total: number | null }) : ''}</span>
          </Match>
          <Match when={ctl.run.phase === 'preparing-data'}><span>Reading and tokenizing the data…</span></Match>
          <Match when={training()}>
            <span>
              Step <span data-testid="step">{ctl.run.step}</span> of {ctl.run.totalSteps}
              <Show when={ctl.run.loss.length}> · loss {ctl.run.loss[ctl.run.loss.length - 1].toFixed(3)}</Show>
              <Show when={ctl.run.tokensPerSec !== null}> · {Math.round(ctl.run.tokensPerSec!)} tokens/s</Show>
              <Show when={ctl.run.etaSeconds !== null}> · about {formatSeconds(ctl.run.etaSeconds!)} left</Show>
              <Show when={ctl.run.resumedFrom}> · resumed from {ctl.run.resumedFrom}</Show>
              <Show when={pauser.pausing()}> · pausing after this step…</Show>
              <Show when={pauser.paused()}> · <strong>paused</strong></Show>
              <Show when={ctl.run.phase === 'stopping'}> · stopping…</Show>
            </span>
          </Match>
        </Switch>
      </div>
      <Show when={saved()}><p class="note" role="status">{saved()}</p></Show>
      <Show when={shared()}>
        {(s) => (
          <div class="share-note" role="status">
            <span>{s().copied ? 'Link copied. It holds the whole experiment (no files, no keys):' : 'Copy this link (the clipboard was not available):'}</span>
            <input type="text" readonly value={s().url} aria-label="Share link" onFocus={(e) => e.currentTarget.select()} />
          </div>
        )}
      </Show>
      <Show when={ctl.model().state === 'missing'}>
        <div class="missing-model" role="alert">
          <p>{(ctl.model() as { message: string }).message}</p>
          <ModelPicker ctl={ctl} />
        </div>
      </Show>
      <ErrorNote error={ctl.error()} onDismiss={() => ctl.setError(null)} />
    </section>
  );
}

function progressText(p: { file: string; loaded: number; total: number | null }): string {
  if (!p.file) return '';
  return `${p.file}${p.total ? ` ${Math.round((100 * p.loaded) / p.total)}%` : ` ${(p.loaded / 1e6).toFixed(1)} MB`}`;
}
