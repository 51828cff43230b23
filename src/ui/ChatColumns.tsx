/**
 * The two sides of a conversation next to each other: "Base model" (or "Compared adapter", an adapter kept for
 * comparison) and "With adapter" (the session's adapter, with the step its weights come from), each a list of turns
 * with the reply streaming in. Stacks on a narrow screen. A polite live region, so new text is announced.
 */
import { For, Show } from 'solid-js';
import type { Chat, Side } from './stores/chat-store';
import { ErrorNote } from './ErrorNote';

export function ChatColumns(props: { chat: Chat }) {
  const name = (side: Side) => (side === 'adapter' ? 'With adapter' : props.chat.chat.left === 'base' ? 'Base model' : 'Compared adapter');
  const note = (side: Side) => {
    if (side === 'adapter') return props.chat.adapterStep() === null ? '' : `step ${props.chat.adapterStep()}`;
    return props.chat.chat.left === 'compare' ? (props.chat.compareLabel() ?? '') : '';
  };
  const latency = (side: Side) => props.chat.chat.firstTokenMs[side];
  return (
    <>
      <div class="chat-columns">
        <For each={['base', 'adapter'] as Side[]}>
          {(side) => (
            <section class="chat-column" aria-label={name(side)} aria-live="polite" data-first-token-ms={latency(side) ?? ''}>
              <h4>{name(side)} <Show when={note(side)}><span class="muted">({note(side)})</span></Show></h4>
              <Show when={props.chat.chat.sides[side].length} fallback={<p class="muted">No messages yet.</p>}>
                <For each={props.chat.chat.sides[side]}>
                  {(m) => (
                    <div class={`msg msg-${m.role}`} data-streaming={m.streaming ? 'true' : 'false'}>
                      <span class="msg-role">{m.role === 'user' ? 'You' : 'Model'}</span>
                      <p>{m.content || (m.streaming ? '…' : '(empty reply)')}</p>
                    </div>
                  )}
                </For>
              </Show>
              <Show when={latency(side) !== null}><p class="muted small">First text after {(latency(side)! / 1000).toFixed(1)} s</p></Show>
            </section>
          )}
        </For>
      </div>
      <ErrorNote error={props.chat.chat.error} />
    </>
  );
}
