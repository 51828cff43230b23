/**
 * generate in the session worker: the conversation becomes one prompt (the tokenizer's chat template, or the
 * Alpaca template with earlier turns folded into `input`, as generate/chat-session.ts does), then generate() streams
 * text deltas, with the current adapter's hooks or without them (the base model), so the UI can show both side by
 * side, even while training runs between steps. Not handled: batching the two sides into one forward.
 */
import { generate } from '../generate/generate';
import { GenerationOptionsError, type GenerationOptions } from '../generate/options';
import type { PromptCache } from '../generate/prompt-cache';
import { adapterLinear, primeGeneration, type Adapter } from '../peft';
import type { Model } from '../model/types';
import { applyChatTemplate, hasChatTemplate } from '../tokenizer/chat-template';
import { alpacaPrompt } from '../tokenizer/alpaca';
import type { TextTokenizer } from '../tokenizer/tokenizer';
import type { GenerateDelta, GenerateParams, GenerateResult } from '../protocol/train-api';
import type { HandlerContext } from '../protocol/serve';
import { asDeviceError, needModel, needTokenizer, userError, type Session } from './session';

export function promptText(tok: TextTokenizer, messages: GenerateParams['messages']): { text: string; format: string } {
  if (hasChatTemplate(tok)) return { text: applyChatTemplate(tok, messages, { addGenerationPrompt: true }), format: 'chat template' };
  const turns = messages.filter((m) => m.role !== 'system');
  const last = turns[turns.length - 1];
  const history = turns.slice(0, -1).map((m) => `${m.role === 'user' ? 'User' : 'Assistant'}: ${m.content}`).join('\n');
  const system = messages.find((m) => m.role === 'system')?.content;
  return { text: alpacaPrompt(last?.content ?? '', [system, history].filter(Boolean).join('\n')), format: 'alpaca' };
}

const KNOWN: (keyof GenerationOptions)[] = ['maxNewTokens', 'minNewTokens', 'doSample', 'temperature', 'topK', 'topP', 'repetitionPenalty', 'noRepeatNgramSize', 'numBeams', 'lengthPenalty', 'stopStrings', 'seed'];

export async function runGenerate(session: Session, p: GenerateParams, ctx: HandlerContext<GenerateDelta>): Promise<GenerateResult> {
  await session.backend;
  const { model } = needModel(session);
  const tok = needTokenizer(session);
  if (p.useAdapter && !session.adapter) throw userError('There is no adapter yet: train one (Start training) or import one on the Export screen.');
  return generateReply(model, tok, p.useAdapter ? session.adapter : null, p, ctx);
}

/**
 * One streamed reply of `model` (with `adapter`'s hooks, or the base model when null); shared with the generate
 * worker, which passes the prompt cache of that model and adapter (weights that do not change under it).
 */
export async function generateReply(model: Model, tok: TextTokenizer, adapter: Adapter | null, p: Pick<GenerateParams, 'messages' | 'options'>, ctx: HandlerContext<GenerateDelta>, promptCache?: PromptCache): Promise<GenerateResult> {
  if (!p.messages.length || p.messages[p.messages.length - 1].role !== 'user') throw userError('Type a message first.');
  const options: Partial<GenerationOptions> = {};
  for (const k of KNOWN) if (p.options[k] !== undefined) (options as Record<string, unknown>)[k] = p.options[k];
  const prompt = promptText(tok, p.messages);
  const ids = tok.encode(prompt.text, { addSpecialTokens: prompt.format === 'alpaca' });
  const max = model.config.maxPositions ?? Infinity;
  if (ids.length + (Number(options.maxNewTokens) || 0) > max) throw userError(`The conversation is too long for this model (${ids.length} prompt tokens, at most ${max} in all). Clear the chat or lower Max new tokens.`);
  const hooks = adapter ? { linear: adapterLinear(adapter), prime: (B: number) => primeGeneration(model, adapter, B) } : {};
  const t0 = performance.now();
  try {
    const gen = generate(model, { ids: [ids] }, options, { decode: (g) => tok.decode(g, { skipSpecialTokens: true }), signal: ctx.signal, ...hooks, promptCache });
    let r = await gen.next();
    while (!r.done) {
      if (r.value.textDelta[0]) ctx.progress({ text: r.value.textDelta[0] });
      r = await gen.next();
    }
    return { text: r.value.texts[0], tokens: r.value.tokens[0].length, finishReason: r.value.finishReasons[0], promptFormat: prompt.format, ms: performance.now() - t0, reusedPromptTokens: r.value.reusedPromptTokens };
  } catch (e) {
    if (e instanceof GenerationOptionsError) throw userError(`The sampling settings are not valid: ${e.message}`);
    throw asDeviceError(e, null);
  }
}
