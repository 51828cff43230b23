/**
 * The chat playground: multi-turn, streaming, the base model and the adapter side by side on the same message,
 * with the generation controls under a collapsed "Sampling". Stop ends both replies; Clear starts over.
 */
import { Show, createSignal } from 'solid-js';
import type { Controller } from './stores/controller';
import type { Chat } from './stores/chat-store';
import { CheckField, NumberField, SelectField, TextField } from './fields';
import { ChatColumns } from './ChatColumns';

export function ChatScreen(props: { ctl: Controller; chat: Chat }) {
  const ctl = props.ctl;
  const g = () => ctl.exp.generation;
  const [text, setText] = createSignal('');
  const [withAdapter, setWithAdapter] = createSignal(true);
  const send = () => {
    const t = text();
    setText('');
    void props.chat.send(t, withAdapter());
  };

  return (
    <div class="chat-screen">
      <ChatColumns chat={props.chat} />
      <form class="chat-input" onSubmit={(e) => {
        e.preventDefault();
        send();
      }}>
        <label class="field grow">
          <span class="field-label">Message</span>
          <textarea rows={2} value={text()} onInput={(e) => setText(e.currentTarget.value)} placeholder="Ask something, e.g. Sort these words: pear, apple, fig"
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey) {
                e.preventDefault();
                send();
              }
            }} />
        </label>
        <div class="chat-buttons">
          <Show when={props.chat.chat.busy} fallback={<button type="submit" class="primary">Send</button>}>
            <button type="button" onClick={() => props.chat.stop()}>Stop</button>
          </Show>
          <button type="button" onClick={() => props.chat.clear()}>Clear chat</button>
        </div>
      </form>
      <CheckField label="Also answer with the adapter" checked={withAdapter()} onChange={setWithAdapter} help={`Prompt format: ${props.chat.chat.format || (ctl.model().state === 'ready' ? (ctl.model() as { info: { promptFormat: string } }).info.promptFormat : 'chosen by the model')}.`} />
      <div class="compare-row">
        <SelectField label="Left column" value={props.chat.chat.left} disabled={props.chat.chat.busy} onChange={(v) => props.chat.setLeft(v)}
          help="Answer with the base model, or with a second adapter kept for comparison (adapter vs adapter)."
          options={[{ value: 'base', label: 'Base model' }, { value: 'compare', label: props.chat.compareLabel() ? `Adapter kept for comparison (${props.chat.compareLabel()})` : 'Adapter kept for comparison (none yet)' }]} />
        <button type="button" disabled={props.chat.chat.busy} onClick={() => void props.chat.keepForComparison('pin')}>Keep current adapter for comparison</button>
        <label class="file-button">
          <span>Load adapter to compare</span>
          <input type="file" multiple accept=".zip,.json,.safetensors" disabled={props.chat.chat.busy} onChange={(e) => {
            const files = [...(e.currentTarget.files ?? [])];
            e.currentTarget.value = '';
            if (files.length) void props.chat.keepForComparison(files);
          }} />
        </label>
      </div>
      <details class="sampling">
        <summary>Sampling</summary>
        <div class="field-grid">
          <CheckField label="Sample (instead of greedy)" checked={g().doSample} onChange={(v) => ctl.setExp('generation', 'doSample', v)} help="Off: always the most likely token. On: draw tokens at random, shaped by the fields below." />
          <NumberField label="Temperature" min={0.01} max={5} step={0.05} value={g().temperature} onChange={(v) => ctl.setExp('generation', 'temperature', v)} help="Higher is more random (used when sampling)." />
          <NumberField label="Top-p" min={0.01} max={1} step={0.01} value={g().topP} onChange={(v) => ctl.setExp('generation', 'topP', v)} help="Keep the most likely tokens up to this total probability." />
          <NumberField label="Top-k" min={0} step={1} value={g().topK} onChange={(v) => ctl.setExp('generation', 'topK', v)} help="Keep only the k most likely tokens (0 = all)." />
          <NumberField label="Repetition penalty" min={0.5} max={3} step={0.05} value={g().repetitionPenalty} onChange={(v) => ctl.setExp('generation', 'repetitionPenalty', v)} help="Above 1 makes repeating tokens less likely." />
          <NumberField label="No-repeat n-gram size" min={0} step={1} value={g().noRepeatNgramSize} onChange={(v) => ctl.setExp('generation', 'noRepeatNgramSize', v)} help="Never repeat a sequence of this many tokens (0 = off)." />
          <NumberField label="Max new tokens" min={1} max={1024} step={1} value={g().maxNewTokens} onChange={(v) => ctl.setExp('generation', 'maxNewTokens', v)} help="The reply's length limit, in tokens." />
          <NumberField label="Beams" min={1} max={8} step={1} value={g().numBeams} onChange={(v) => ctl.setExp('generation', 'numBeams', v)} help="Beam search width (1 = off; beams do not stream)." />
          <TextField label="Stop strings" value={g().stopStrings.join(' | ')} onChange={(v) => ctl.setExp('generation', 'stopStrings', v.split('|').map((s) => s.trim()).filter(Boolean))} help="The reply ends before any of these; separate with |." />
          <NumberField label="Sampling seed" min={0} step={1} value={g().seed} onChange={(v) => ctl.setExp('generation', 'seed', v)} help="Same seed, same sampled reply." />
        </div>
      </details>
    </div>
  );
}
