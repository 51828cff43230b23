/**
 * The prompt part of a request, validated and tokenized: chat `messages` through the model's chat template (the
 * Alpaca template when it has none, as `webift chat`), or a completion `prompt` as raw text (the tokenizer's bos
 * added) or token ids. Not handled: tool / function messages, images and other non-text content parts, several
 * prompts in one request (batching is the queue's job, one request per prompt).
 */
import { chatPromptText } from '../../generate/chat-session';
import { ChatTemplateError, hasChatTemplate, type ChatMessage } from '../../tokenizer/chat-template';
import type { TextTokenizer } from '../../tokenizer/tokenizer';
import { badRequest } from './api-error';

const ROLES: Record<string, ChatMessage['role']> = { system: 'system', developer: 'system', user: 'user', assistant: 'assistant' };

/** content: a string, or text parts [{type: "text", text}] joined, as OpenAI accepts both. */
function contentText(v: unknown, param: string): string {
  if (typeof v === 'string') return v;
  if (!Array.isArray(v)) throw badRequest(`'${param}' must be a string or an array of text parts`, param);
  return v.map((part, i) => {
    const p = part as { type?: unknown; text?: unknown };
    if (p?.type !== 'text' || typeof p.text !== 'string') throw badRequest(`'${param}.${i}': only {"type": "text", "text": "..."} parts are supported`, `${param}.${i}`);
    return p.text;
  }).join('');
}

export function readMessages(v: unknown): ChatMessage[] {
  if (!Array.isArray(v) || v.length === 0) throw badRequest("'messages' must be a non-empty array of {role, content}", 'messages');
  return v.map((m, i) => {
    const param = `messages.${i}`;
    if (typeof m !== 'object' || m === null) throw badRequest(`'${param}' must be an object {role, content}`, param);
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (typeof role !== 'string' || !(role in ROLES)) throw badRequest(`'${param}.role' must be one of ${Object.keys(ROLES).join(', ')}, got ${JSON.stringify(role)}`, `${param}.role`);
    return { role: ROLES[role], content: contentText(content, `${param}.content`) };
  });
}

/** The token ids of the chat prompt for the assistant's next reply. */
export function chatPromptIds(tok: TextTokenizer, messages: ChatMessage[]): number[] {
  let text: string;
  try {
    text = chatPromptText(tok, messages);
  } catch (e) {
    // The template's own raise_exception (e.g. "roles must alternate") is the caller's mistake.
    if (e instanceof ChatTemplateError) throw badRequest(e.message, 'messages');
    throw e;
  }
  // Templates write their own bos; a plain Alpaca prompt gets the tokenizer's specials (as ChatSession does).
  return tok.encode(text, { addSpecialTokens: !hasChatTemplate(tok) });
}

/** A completion prompt: a string, [string], token ids, or [token ids]; one prompt per request. */
export function completionPromptIds(tok: TextTokenizer, v: unknown, vocabSize: number): number[] {
  const one = Array.isArray(v) && v.length === 1 && (typeof v[0] === 'string' || Array.isArray(v[0])) ? v[0] : v;
  if (typeof one === 'string') {
    const ids = tok.encode(one, { addSpecialTokens: true });
    if (ids.length === 0) throw badRequest("'prompt' encodes to zero tokens", 'prompt');
    return ids;
  }
  if (Array.isArray(one) && one.length > 0 && one.every((x) => typeof x === 'number')) {
    for (const id of one as number[]) {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw badRequest(`'prompt' token id ${id} is outside the vocabulary (0..${vocabSize - 1})`, 'prompt');
    }
    return one as number[];
  }
  if (Array.isArray(v) && v.length > 1) throw badRequest("'prompt' holds several prompts; send one prompt per request", 'prompt', 'unsupported_parameter');
  throw badRequest("'prompt' must be a string or an array of token ids", 'prompt');
}
