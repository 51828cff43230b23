/**
 * The chat playground's state: one conversation sent to two sides at once, each streaming its reply from the
 * generate worker (chat-engine.ts): on the right the session's adapter, on the left the base model or a second
 * adapter kept for comparison. Multi-turn: each side keeps its own history (its own replies), so the two
 * conversations can drift apart. Stop aborts both streams. Replies work while training runs.
 */
import { createStore, produce } from 'solid-js/store';
import type { Controller } from './controller';
import { isAbort, toUiError } from './errors';
import type { UiError } from './run-state';
import { createChatEngine, type ChatEngine } from './chat-engine';
import { readAdapterFiles } from './adapter-files';
import { startGenerateWorker } from '../generate-worker-handle';

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
  /** What answers in the left column: the base model, or the adapter kept for comparison. */
  left: 'base' | 'compare';
  /** Milliseconds from Send to each side's first streamed text, for the last message (null: none yet). */
  firstTokenMs: Record<Side, number | null>;
}

export function generationOptions(g: Controller['exp']['generation']): Record<string, unknown> {
  return { ...g, stopStrings: [...g.stopStrings] };
}

export function createChat(ctl: Controller, engine: ChatEngine = createChatEngine(ctl, startGenerateWorker())) {
  const [chat, setChat] = createStore<ChatState>({ sides: { base: [], adapter: [] }, busy: false, error: null, format: '', left: 'base', firstTokenMs: { base: null, adapter: null } });
  let ctrl: AbortController | null = null;

  async function side(s: Side, signal: AbortSignal, t0: number): Promise<void> {
    const history = chat.sides[s].map(({ role, content }) => ({ role, content }));
    setChat('sides', s, (m) => [...m, { role: 'assistant' as const, content: '', streaming: true }]);
    const at = chat.sides[s].length - 1;
    try {
      const r = await engine.reply({
        with: s === 'adapter' ? 'current' : chat.left, messages: history, options: generationOptions(ctl.exp.generation), signal,
        onDelta: (text) => {
          if (chat.firstTokenMs[s] === null) setChat('firstTokenMs', s, Math.round(performance.now() - t0));
          setChat('sides', s, at, 'content', (c) => c + text);
        },
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
    const t0 = performance.now();
    setChat(produce((c) => {
      c.busy = true;
      c.error = null;
      c.firstTokenMs = { base: null, adapter: null };
      c.sides.base.push({ role: 'user', content: text });
      if (withAdapter) c.sides.adapter.push({ role: 'user', content: text });
    }));
    await Promise.all([side('base', ctrl.signal, t0), withAdapter ? side('adapter', ctrl.signal, t0) : Promise.resolve()]);
    setChat('busy', false);
    ctrl = null;
  }

  /** Switches the left column; its old replies came from other weights, so the conversation starts over. */
  function setLeft(left: ChatState['left']): void {
    if (chat.busy || left === chat.left) return;
    setChat({ left, sides: { base: [], adapter: [] }, error: null });
  }

  async function keepForComparison(how: 'pin' | File[]): Promise<void> {
    try {
      const label = how === 'pin' ? await engine.pinCurrent() : engine.setCompare(await readAdapterFiles(how), how.map((f) => f.name).join(', '));
      if (label) setLeft('compare');
    } catch (e) {
      setChat('error', toUiError(e));
    }
  }

  return {
    chat,
    send,
    stop: () => ctrl?.abort(),
    clear: () => setChat({ sides: { base: [], adapter: [] }, error: null }),
    setLeft,
    keepForComparison,
    /** The optimizer step of the adapter the last reply used (null: imported or none yet). */
    adapterStep: engine.adapterStep,
    compareLabel: engine.compareLabel,
  };
}

export type Chat = ReturnType<typeof createChat>;
