/**
 * Renders a model's Jinja chat template (tokenizer_config.json `chat_template`) with @huggingface/jinja, passing the
 * variables transformers' `apply_chat_template` passes: messages, add_generation_prompt, the special-token strings
 * (bos_token, eos_token, ...) and raise_exception. A tokenizer without a template gets NoChatTemplateError, so
 * callers can fall back to the Alpaca template (alpaca.ts). Not handled: tools, documents, multimodal content parts.
 * Encode the rendered text with addSpecialTokens: false: templates write their own bos (transformers does the same).
 */
import { Template } from '@huggingface/jinja';
import type { TextTokenizer } from './tokenizer';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | string;
  content: string;
}

export interface ChatTemplateOptions {
  /** Append the assistant header so the model continues as the assistant (inference, or a prompt-only span). */
  addGenerationPrompt?: boolean;
  /** Extra template variables (e.g. a date string); messages, add_generation_prompt and the token strings win. */
  extra?: Record<string, unknown>;
}

export class NoChatTemplateError extends Error {
  override name = 'NoChatTemplateError';
}

/** The template called raise_exception (e.g. "Conversation roles must alternate"), failed to run, or does not parse. */
export class ChatTemplateError extends Error {
  override name = 'ChatTemplateError';
}

export interface TemplateSource {
  chatTemplate: string | null;
  bosToken?: string | null;
  eosToken?: string | null;
  unkToken?: string | null;
  padToken?: string | null;
}

const compiled = new Map<string, Template>();

function compile(source: string): Template {
  let t = compiled.get(source);
  if (!t) {
    try {
      t = new Template(source);
    } catch (e) {
      throw new ChatTemplateError(`the chat template does not parse: ${(e as Error).message}`);
    }
    if (compiled.size > 16) compiled.clear();
    compiled.set(source, t);
  }
  return t;
}

/** Renders `messages` to the prompt text. `source` is a TextTokenizer or any object with the same fields. */
export function applyChatTemplate(source: TemplateSource | TextTokenizer, messages: ChatMessage[], opts: ChatTemplateOptions = {}): string {
  if (!source.chatTemplate) {
    throw new NoChatTemplateError('this tokenizer has no chat_template (tokenizer_config.json lacks one); use the Alpaca template instead');
  }
  const template = compile(source.chatTemplate);
  const vars: Record<string, unknown> = {
    ...opts.extra,
    bos_token: source.bosToken ?? '',
    eos_token: source.eosToken ?? '',
    unk_token: source.unkToken ?? '',
    pad_token: source.padToken ?? '',
    messages: messages.map((m) => ({ role: m.role, content: m.content })),
    add_generation_prompt: opts.addGenerationPrompt ?? false,
  };
  try {
    // jinja's own global raise_exception throws Error(message) (it cannot be redeclared); it lands here.
    return template.render(vars);
  } catch (e) {
    throw new ChatTemplateError(`the chat template refused or failed on these messages: ${(e as Error).message}`);
  }
}

/** True when the tokenizer carries a chat template (else the Alpaca format applies). */
export function hasChatTemplate(source: TemplateSource | TextTokenizer): boolean {
  return typeof source.chatTemplate === 'string' && source.chatTemplate.length > 0;
}
