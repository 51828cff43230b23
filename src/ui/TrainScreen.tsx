/**
 * The Train screen: the adapter method and its fields (LoRA r=8, alpha=16, dropout 0.05 on q_proj, v_proj by
 * default), the training fields, the memory estimate and "this will take about N minutes" before a start, the live
 * loss chart with tokens/s, ETA and memory, the checkpoint list, and a before/after comparison on one prompt.
 */
import { For, Show, createSignal } from 'solid-js';
import type { Controller } from './stores/controller';
import { ADALORA_DEFAULTS, type AdaLoraSettings } from '../experiment/experiment';
import type { Chat } from './stores/chat-store';
import { formatBytes, formatSeconds, isBusy } from './stores/run-state';
import { CheckField, NumberField, SelectField, TextField, Card } from './fields';
import { LossChart } from './LossChart';
import { LrChart } from './LrChart';
import { ChatColumns } from './ChatColumns';

export function TrainScreen(props: { ctl: Controller; chat: Chat; minutes: () => number | null }) {
  const ctl = props.ctl;
  const locked = () => isBusy(ctl.run.phase);
  const p = () => ctl.exp.peft, t = () => ctl.exp.train;
  const ada = () => p().adalora ?? ADALORA_DEFAULTS;
  const setAda = (k: keyof AdaLoraSettings, v: number) => ctl.setExp('peft', 'adalora', { ...ada(), [k]: v });
  const [prompt, setPrompt] = createSignal('What is 4 plus 3, then minus 2?');
  const est = () => ctl.estimate();

  return (
    <div class="train-grid">
      <div class="train-main">
        <Card title="Loss">
          <LossChart run={ctl.run} />
          <dl class="metrics">
            <div><dt>Step</dt><dd>{ctl.run.step} / {ctl.run.totalSteps || t().maxSteps}</dd></div>
            <div><dt>Throughput</dt><dd>{ctl.run.tokensPerSec === null ? '–' : `${Math.round(ctl.run.tokensPerSec)} tokens/s`}</dd></div>
            <div><dt>Time left</dt><dd>{ctl.run.etaSeconds === null ? '–' : formatSeconds(ctl.run.etaSeconds)}</dd></div>
            <div><dt>Tensor memory</dt><dd>{formatBytes(ctl.run.memoryBytes)}</dd></div>
            <div><dt>Learning rate</dt><dd>{ctl.run.lr === null ? '–' : ctl.run.lr.toExponential(2)}</dd></div>
          </dl>
        </Card>
        <Card title="Learning rate">
          <LrChart run={ctl.run} />
        </Card>
        <Card title="Before and after">
          <form class="inline" onSubmit={(e) => {
            e.preventDefault();
            void props.chat.send(prompt(), true);
          }}>
            <label class="field grow">
              <span class="field-label">Prompt to compare</span>
              <input type="text" value={prompt()} onInput={(e) => setPrompt(e.currentTarget.value)} />
            </label>
            <button type="submit" disabled={props.chat.chat.busy}>Compare before and after</button>
          </form>
          <ChatColumns chat={props.chat} />
        </Card>
        <Card title="Checkpoints">
          <Show when={ctl.run.checkpoints.length} fallback={<p class="muted">None yet. A checkpoint is saved every {t().checkpointEvery} steps, and when you stop.</p>}>
            <ul class="checkpoints">
              <For each={ctl.run.checkpoints}>{(c) => <li>{c} <span class="muted">(saved in this browser)</span></li>}</For>
            </ul>
          </Show>
        </Card>
      </div>
      <div class="train-side">
        <Card title="Adapter">
          <SelectField label="Method" value={p().method} disabled={locked()} onChange={(v) => ctl.setExp('peft', 'method', v)} help="LoRA trains two small matrices per layer; IA3 scales activations; prompt/prefix tuning learn virtual tokens; p-tuning learns them through a small MLP or LSTM encoder; AdaLoRA starts at a higher rank and prunes the least important ranks while training."
            options={[{ value: 'LORA', label: 'LoRA' }, { value: 'IA3', label: 'IA3' }, { value: 'PROMPT_TUNING', label: 'Prompt tuning' }, { value: 'PREFIX_TUNING', label: 'Prefix tuning' },
              { value: 'P_TUNING', label: 'P-tuning (MLP encoder)' }, { value: 'P_TUNING_LSTM', label: 'P-tuning (LSTM encoder)' }, { value: 'ADALORA', label: 'AdaLoRA' }]} />
          <Show when={p().method === 'LORA'}>
            <NumberField label="Rank (r)" min={1} max={256} step={1} value={p().r} disabled={locked()} onChange={(v) => ctl.setExp('peft', 'r', v)} help="Size of the low-rank update; 8 is a common start." />
            <NumberField label="Alpha" min={1} value={p().alpha} disabled={locked()} onChange={(v) => ctl.setExp('peft', 'alpha', v)} help="Scales the update by alpha / r; usually 2 × r." />
            <NumberField label="Dropout" min={0} max={0.9} step={0.01} value={p().dropout} disabled={locked()} onChange={(v) => ctl.setExp('peft', 'dropout', v)} help="Randomly drops adapter inputs while training, against overfitting." />
            <CheckField label="rsLoRA" checked={p().useRslora} disabled={locked()} onChange={(v) => ctl.setExp('peft', 'useRslora', v)} help="Scale by alpha / √r (stabler at high rank)." />
            <CheckField label="DoRA" checked={p().useDora} disabled={locked()} onChange={(v) => ctl.setExp('peft', 'useDora', v)} help="Also learn each weight's magnitude." />
          </Show>
          <Show when={p().method === 'ADALORA'}>
            <NumberField label="Initial rank" min={1} max={256} step={1} value={ada().initR} disabled={locked()} onChange={(v) => setAda('initR', v)} help="Rank every module starts with (PEFT init_r)." />
            <NumberField label="Target rank" min={0} max={256} step={1} value={ada().targetR} disabled={locked()} onChange={(v) => setAda('targetR', v)} help="Average rank per module left after pruning (PEFT target_r)." />
            <NumberField label="Alpha" min={1} value={p().alpha} disabled={locked()} onChange={(v) => ctl.setExp('peft', 'alpha', v)} help="Scales the update by alpha / initial rank." />
            <NumberField label="Dropout" min={0} max={0.9} step={0.01} value={p().dropout} disabled={locked()} onChange={(v) => ctl.setExp('peft', 'dropout', v)} help="Randomly drops adapter inputs while training, against overfitting." />
            <NumberField label="Warmup before pruning" min={0} step={1} value={ada().tinit} disabled={locked()} onChange={(v) => setAda('tinit', v)} help="Steps trained at full rank before ranks are pruned (tinit)." />
            <NumberField label="Final fixed steps" min={0} step={1} value={ada().tfinal} disabled={locked()} onChange={(v) => setAda('tfinal', v)} help="Last steps trained with the rank pattern fixed (tfinal)." />
            <NumberField label="Prune every" min={1} step={1} value={ada().deltaT} disabled={locked()} onChange={(v) => setAda('deltaT', v)} help="Steps between two rank allocations (deltaT)." />
          </Show>
          <Show when={p().method === 'LORA' || p().method === 'IA3' || p().method === 'ADALORA'}>
            <TextField label="Target modules" value={p().targetModules.join(', ')} disabled={locked()} onChange={(v) => ctl.setExp('peft', 'targetModules', v.split(/[,\s]+/).filter(Boolean))} help="Which projections get an adapter, e.g. q_proj, v_proj." />
          </Show>
          <Show when={['PROMPT_TUNING', 'PREFIX_TUNING', 'P_TUNING', 'P_TUNING_LSTM'].includes(p().method)}>
            <NumberField label="Virtual tokens" min={1} max={512} step={1} value={p().virtualTokens} disabled={locked()} onChange={(v) => ctl.setExp('peft', 'virtualTokens', v)} help="Learned tokens put before every prompt." />
          </Show>
        </Card>
        <Card title="Training">
          <NumberField label="Steps" min={1} step={1} value={t().maxSteps} disabled={locked()} onChange={(v) => ctl.setExp('train', 'maxSteps', v)} help="Optimizer steps to run." />
          <NumberField label="Learning rate" min={0} step="any" value={t().lr} disabled={locked()} onChange={(v) => ctl.setExp('train', 'lr', v)} help="How big each update is; 3e-4 for LoRA on real models." />
          <NumberField label="Batch size" min={1} step={1} value={t().batchSize} disabled={locked()} onChange={(v) => ctl.setExp('train', 'batchSize', v)} help="Examples per forward pass; more needs more memory." />
          <NumberField label="Gradient accumulation" min={1} step={1} value={t().gradAccum} disabled={locked()} onChange={(v) => ctl.setExp('train', 'gradAccum', v)} help="Forward passes per step (effective batch = batch × this)." />
          <NumberField label="Cutoff length" min={8} step={1} value={t().cutoffLen} disabled={locked()} onChange={(v) => ctl.setExp('train', 'cutoffLen', v)} help="Tokens per example at most; longer ones are cut." />
          <NumberField label="Warmup steps" min={0} step={1} value={t().warmupSteps} disabled={locked()} onChange={(v) => ctl.setExp('train', 'warmupSteps', v)} help="Steps over which the learning rate ramps up." />
          <SelectField label="Schedule" value={t().scheduler} disabled={locked()} onChange={(v) => ctl.setExp('train', 'scheduler', v)} help="How the learning rate decays after warmup."
            options={[{ value: 'cosine', label: 'Cosine' }, { value: 'linear', label: 'Linear' }, { value: 'constant', label: 'Constant' }]} />
          <NumberField label="Eval split" min={0} step="any" value={t().evalSplit} disabled={locked()} onChange={(v) => ctl.setExp('train', 'evalSplit', v >= 1 ? Math.round(v) : v)} help="Examples held out for the eval loss: a share (0.05) or a count (24)." />
          <NumberField label="Eval every" min={0} step={1} value={t().evalEvery} disabled={locked()} onChange={(v) => ctl.setExp('train', 'evalEvery', v)} help="Steps between eval losses (0 = only at the end)." />
          <NumberField label="Checkpoint every" min={1} step={1} value={t().checkpointEvery} disabled={locked()} onChange={(v) => ctl.setExp('train', 'checkpointEvery', v)} help="Steps between checkpoints saved in this browser." />
          <NumberField label="Seed" min={0} step={1} value={t().seed} disabled={locked()} onChange={(v) => ctl.setExp('train', 'seed', v)} help="Same seed, same data order and dropout." />
        </Card>
        <Card title="Before you start">
          <button type="button" onClick={() => void ctl.ensureModel().then(() => ctl.ensureData()).then(() => ctl.refreshEstimate())}>Estimate memory and time</button>
          <Show when={est()}>
            {(e) => (
              <p class={e().fits ? '' : 'warn'}>
                Needs about {formatBytes(e().totalBytes)} of memory for {e().trainableParams.toLocaleString('en-US')} trainable parameters; {e().totalSteps} steps of ~{e().tokensPerStep} tokens.
                <Show when={props.minutes() !== null}> This will take about {props.minutes()! < 1 ? 'a minute' : `${Math.round(props.minutes()!)} minutes`} on this device.</Show>
                <Show when={e().message}> {e().message}</Show>
              </p>
            )}
          </Show>
        </Card>
      </div>
    </div>
  );
}
