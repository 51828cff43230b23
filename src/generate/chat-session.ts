/**
 * A multi-turn chat over one model: the message history, the prompt for the next reply (the tokenizer's chat
 * template, or the Alpaca template when the model has none), and the reply streamed through generate().
 * The Alpaca fallback folds earlier turns into the `input` field, since the template itself is single-turn.
 * Each turn reuses the keys and values of the previous one for the prefix their prompts share (prompt-cache.ts).
 */
import type { Model } from '../model/types';
import type { TextTokenizer } from '../tokenizer/tokenizer';
import { applyChatTemplate, hasChatTemplate, type ChatMessage } from '../tokenizer/chat-template';
import { alpacaPrompt } from '../tokenizer/alpaca';
import { generate, type GenerationEvent, type GenerationResult } from './generate';
import type { GenerationOptions } from './options';
import { PromptCache } from './prompt-cache';

/** The prompt text for the assistant's reply to `messages`: the chat template, or the Alpaca fallback. */
export function chatPromptText(tok: TextTokenizer, messages: ChatMessage[]): string {
  if (hasChatTemplate(tok)) return applyChatTemplate(tok, messages, { addGenerationPrompt: true });
  const turns = messages.filter((m) => m.role !== 'system');
  const last = turns[turns.length - 1];
  const history = turns.slice(0, -1).map((m) => `${m.role === 'user' ? 'User' : 'Assistant'}: ${m.content}`).join('\n');
  const system = messages.find((m) => m.role === 'system')?.content;
  return alpacaPrompt(last?.content ?? '', [system, history].filter(Boolean).join('\n'));
}

export class ChatSession {
  readonly messages: ChatMessage[] = [];
  /** The last turn's keys and values: the next turn feeds only what its prompt adds (prompt-cache.ts). */
  readonly promptCache = new PromptCache();

  constructor(
    private readonly model: Model,
    private readonly tok: TextTokenizer,
    private readonly options: Partial<GenerationOptions> = {},
    system?: string,
  ) {
    if (system) this.messages.push({ role: 'system', content: system });
  }

  /** 'chat template' or 'alpaca' */
  get format(): string {
    return hasChatTemplate(this.tok) ? 'chat template' : 'alpaca';
  }

  /** The prompt text for the assistant's next turn. */
  promptText(): string {
    return chatPromptText(this.tok, this.messages);
  }

  /** Adds the user turn and streams the reply; the reply is appended to the history when it finishes. */
  async *send(user: string, signal?: AbortSignal): AsyncGenerator<GenerationEvent, GenerationResult> {
    this.messages.push({ role: 'user', content: user });
    // Templates put bos themselves when they want it; a plain Alpaca prompt gets the tokenizer's specials.
    const ids = this.tok.encode(this.promptText(), { addSpecialTokens: !hasChatTemplate(this.tok) });
    const decode = (g: number[]) => this.tok.decode(g, { skipSpecialTokens: true });
    const res = yield* generate(this.model, { ids: [ids] }, this.options, { decode, signal, promptCache: this.promptCache });
    this.messages.push({ role: 'assistant', content: res.texts[0].trim() });
    return res;
  }

  reset(): void {
    this.messages.splice(this.messages.findIndex((m) => m.role !== 'system') >>> 0);
  }

  /** Frees the kept keys and values (the session stays usable; its next turn feeds the whole prompt). */
  dispose(): void {
    this.promptCache.clear();
  }
}
