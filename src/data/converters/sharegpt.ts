/**
 * ShareGPT conversations `{conversations: [{from, value}]}` -> `{messages: [{role, content}]}`. Speakers map as
 * FastChat / LLaMA-Factory read them: human|user -> user, gpt|chatgpt|bard|assistant|model -> assistant,
 * system -> system. A conversation with an unknown speaker, an empty turn or no assistant turn is rejected whole
 * (never trimmed), with the turn index in the reason. Also used for BELLE's `conversations` files.
 */
import type { Message } from '../records';
import { asObject, field, jsonRowsConverter } from './rows';
import { RowError, type Converter } from './types';

const ROLE: Record<string, Message['role']> = {
  human: 'user',
  user: 'user',
  gpt: 'assistant',
  chatgpt: 'assistant',
  bard: 'assistant',
  assistant: 'assistant',
  model: 'assistant',
  system: 'system',
};

export function conversationToMessages(list: unknown, key = 'conversations'): { messages: Message[] } {
  if (!Array.isArray(list)) throw new RowError(`"${key}" is not an array`);
  if (!list.length) throw new RowError(`"${key}" is empty`);
  const messages = list.map((t, i) => {
    const turn = asObject(t);
    const from = field(turn, 'from', { allowEmpty: true });
    const role = ROLE[from.toLowerCase()];
    if (!role) throw new RowError(`${key}[${i}].from is "${from}", expected human, gpt or system`);
    const content = field(turn, 'value', { allowEmpty: true });
    if (content.trim() === '') throw new RowError(`${key}[${i}].value is empty`);
    return { role, content };
  });
  if (!messages.some((m) => m.role === 'assistant')) throw new RowError(`no gpt/assistant turn in "${key}": nothing to learn`);
  return { messages };
}

export const sharegptConverter: Converter = {
  shape: 'sharegpt',
  describe: 'ShareGPT: {conversations: [{from: human|gpt|system, value}]} -> messages',
  convert: jsonRowsConverter('sharegpt', (o, f) => {
    const key = f.messages ?? 'conversations';
    if (!(key in o)) throw new RowError(`missing "${key}" (keys: ${Object.keys(o).join(', ') || 'none'})`);
    return conversationToMessages(o[key], key);
  }),
};
