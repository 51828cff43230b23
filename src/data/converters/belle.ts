/**
 * BELLE JSON Lines (`.json` despite the name): `{instruction, input, output}` (0.5M/1M/1.5M, school_math, dev1K),
 * `{conversations: [{from, value}]}` (train_3.5M_CN), and the multiturn_chat_0.8M transcript form, where the
 * instruction holds `Human: ...\nAssistant: ...\nHuman: ...\nAssistant:` and `output` the last reply; that one
 * becomes `messages`. A transcript whose turns do not alternate Human/Assistant is rejected.
 */
import type { Message } from '../records';
import { field, jsonRowsConverter } from './rows';
import { conversationToMessages } from './sharegpt';
import { RowError, type Converter } from './types';

const SPEAKER = /(?:^|\n)\s*(Human|Assistant)\s*[:：]/g;

/** `Human: a\nAssistant: b\nHuman: c\nAssistant:` + output -> messages; null when the text is no transcript. */
export function transcriptToMessages(instruction: string, output: string): Message[] | null {
  const marks = [...instruction.matchAll(SPEAKER)];
  if (!marks.length || marks[0][1] !== 'Human' || instruction.slice(0, marks[0].index).trim() !== '') return null;
  const messages: Message[] = [];
  marks.forEach((m, i) => {
    const role = m[1] === 'Human' ? 'user' : 'assistant';
    const want = i % 2 === 0 ? 'user' : 'assistant';
    if (role !== want) throw new RowError(`transcript turn ${i + 1} is "${m[1]}", expected ${want === 'user' ? 'Human' : 'Assistant'}`);
    const end = i + 1 < marks.length ? marks[i + 1].index : instruction.length;
    messages.push({ role, content: instruction.slice(m.index + m[0].length, end).trim() });
  });
  const last = messages[messages.length - 1];
  if (last.role !== 'assistant' || last.content !== '') throw new RowError('transcript does not end with an open "Assistant:" turn');
  last.content = output;
  if (messages.some((m) => m.content.trim() === '')) throw new RowError('transcript has an empty turn');
  return messages;
}

export const belleConverter: Converter = {
  shape: 'belle',
  describe: 'BELLE JSONL: {instruction, input, output}, Human:/Assistant: transcripts, or {conversations}',
  convert: jsonRowsConverter('belle', (o) => {
    if ('conversations' in o) return conversationToMessages(o.conversations);
    const instruction = field(o, 'instruction');
    const input = field(o, 'input', { optional: true });
    const output = field(o, 'output');
    const messages = input === '' ? transcriptToMessages(instruction, output) : null;
    return messages ? { messages } : { instruction, input, output };
  }),
};
