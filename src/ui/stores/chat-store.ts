/**
 * The chat playground's state: one conversation sent to two sides at once, the base model and the model with the
 * current adapter, each streaming its reply. Multi-turn: each side keeps its own history (its own replies), so the
 * two conversations can drift apart, as they would for two people. Stop aborts both streams.
 */
import { createStore, produce } from 'solid-js/store';
import type { Controller } from './controller';
import { isAbort, toUiError } from './errors';
import type { UiError } from './run-state';

export type Side = 'base' | 'adapter';

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
  /** True while this reply streams. */
  streaming?: boolean;
}

export interface ChatState {
  sides: Record<Side, ChatMessage[]>;
  busy: boolean;
  error: UiError | null;
  /** e.g. 'alpaca' or 'chat template', from the last reply. */
  format: string;
}

export function generationOptions(g: Controller['exp']['generation']): Record<string, unknown> {
  return { ...g, stopStrings: [...g.stopStrings] };
}

export function createChat(ctl: Controller) {
  const [chat, setChat] = createStore<ChatState>({ sides: { base: [], adapter: [] }, busy: false, error: null, format: '' });
  let ctrl: AbortController | null = null;

  async function side(s: Side, signal: AbortSignal): Promise<void> {
    const history = chat.sides[s].map(({ role, content }) => ({ role, content }));
    setChat('sides', s, (m) => [...m, { role: 'assistant' as const, content: '', streaming: true }]);
    const at = chat.sides[s].length - 1;
    try {
      const r = await ctl.client().call('generate', { messages: history, useAdapter: s === 'adapter', options: generationOptions(ctl.exp.generation) }, {
        signal,
        onProgress: (d) => setChat('sides', s, at, 'content', (c) => c + d.text),
      });
      setChat('sides', s, at, produce((m) => {
        m.content = r.text.trim();
        m.streaming = false;
      }));
      setChat('format', r.promptFormat);
    } catch (e) {
      setChat('sides', s, at, 'streaming', false);
      if (!isAbort(e)) setChat('error', toUiError(e));
    }
  }

  async function send(text: string, withAdapter: boolean): Promise<void> {
    if (!text.trim() || chat.busy) return;
    if (!(await ctl.ensureModel())) return;
    ctrl = new AbortController();
    setChat(produce((c) => {
      c.busy = true;
      c.error = null;
      c.sides.base.push({ role: 'user', content: text });
      if (withAdapter) c.sides.adapter.push({ role: 'user', content: text });
    }));
    await Promise.all([side('base', ctrl.signal), withAdapter ? side('adapter', ctrl.signal) : Promise.resolve()]);
    setChat('busy', false);
    ctrl = null;
  }

  return {
    chat,
    send,
    stop: () => ctrl?.abort(),
    clear: () => setChat({ sides: { base: [], adapter: [] }, error: null }),
  };
}

export type Chat = ReturnType<typeof createChat>;
