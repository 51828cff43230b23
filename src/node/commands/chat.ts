/**
 * `webift chat --model ... [--system TEXT] [sampling flags]`: multi-turn in the terminal with the model's chat
 * template (Alpaca when it has none). Replies stream; Ctrl-C stops a reply, /reset clears history, /exit quits.
 * Reads stdin line by line, so it also works piped (one user turn per line).
 */
import * as readline from 'node:readline';
import { ChatSession } from '../../generate/chat-session';
import { BACKEND_FLAG, bool, MODEL_FLAG, parse, str, type FlagSpec } from '../args';
import type { Command } from '../command';
import { UsageError } from '../errors';
import { openModel } from '../runtime';
import { tokenizerFrom } from '../model-tokenizer';
import { SAMPLING_FLAGS, samplingOptions } from '../sampling-flags';
import { QUANT_FLAGS } from '../quant-flags';

export const CHAT_FLAGS: FlagSpec = {
  model: MODEL_FLAG,
  system: { type: 'string', value: 'text', help: 'a system message at the start of the conversation' },
  backend: BACKEND_FLAG,
  json: { type: 'boolean', help: 'one JSON line per reply on stdout: {role, content, ids, finish_reason}' },
  ...SAMPLING_FLAGS, ...QUANT_FLAGS,
};

export async function chatCommand(argv: string[]): Promise<number> {
  const p = parse(argv, CHAT_FLAGS);
  const json = bool(p, 'json');
  const options = samplingOptions(p);
  const { model, source, announce } = await openModel(str(p, 'model', true), str(p, 'backend'), json, p.values);
  const tok = await tokenizerFrom(source);
  if (!tok) {
    model.dispose();
    throw new UsageError(`${source.label} has no tokenizer.json; chat needs one`);
  }
  announce();
  const session = new ChatSession(model, tok, options, str(p, 'system'));
  const interactive = process.stdin.isTTY === true;
  if (!json) process.stderr.write(`chat (${session.format}); /reset clears the history, /exit quits\n`);
  const rl = readline.createInterface({ input: process.stdin, terminal: interactive });
  let current: AbortController | null = null;
  rl.on('SIGINT', () => (current ? current.abort() : rl.close()));
  const prompt = () => interactive && process.stdout.write('> ');
  prompt();
  try {
    for await (const line of rl) {
      const text = line.trim();
      if (text === '/exit') break;
      if (text === '/reset') {
        session.reset();
        prompt();
        continue;
      }
      if (!text) {
        prompt();
        continue;
      }
      current = new AbortController();
      const gen = session.send(text, current.signal);
      let r = await gen.next();
      while (!r.done) {
        if (!json) process.stdout.write(r.value.textDelta[0]);
        r = await gen.next();
      }
      current = null;
      if (json) process.stdout.write(`${JSON.stringify({ role: 'assistant', content: r.value.texts[0], ids: r.value.tokens[0], finish_reason: r.value.finishReasons[0], reused_prompt_tokens: r.value.reusedPromptTokens })}\n`);
      else process.stdout.write('\n');
      prompt();
    }
  } finally {
    rl.close();
    session.dispose();
    model.dispose();
  }
  return 0;
}

export const command: Command = {
  name: 'chat',
  summary: "multi-turn chat in the terminal with the model's chat template (Alpaca when it has none)",
  usage: '--model <dir|repo> [flags]',
  flags: CHAT_FLAGS,
  notes: ['One user turn per line of stdin (piped input works too). Ctrl-C stops a reply, /reset clears the history, /exit quits.'],
  run: chatCommand,
};
