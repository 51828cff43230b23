/**
 * The two sides of a conversation next to each other: "Base model" and "With adapter", each a list of turns with
 * the reply streaming in. Stacks on a narrow screen. A polite live region, so new text is announced.
 */
import { For, Show } from 'solid-js';
import type { Chat, Side } from './stores/chat-store';
import { ErrorNote } from './ErrorNote';

const TITLES: Record<Side, string> = { base: 'Base model', adapter: 'With adapter' };

export function ChatColumns(props: { chat: Chat }) {
  return (
    <>
      <div class="chat-columns">
        <For each={['base', 'adapter'] as Side[]}>
          {(side) => (
            <section class="chat-column" aria-label={TITLES[side]} aria-live="polite">
              <h4>{TITLES[side]}</h4>
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
            </section>
          )}
        </For>
      </div>
      <ErrorNote error={props.chat.chat.error} />
    </>
  );
}
