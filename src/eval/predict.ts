/**
 * Batch prediction: prompt rows (prompt-rows.ts) through a model and optional adapter, one result per row, handed to
 * onResult after each batch so a caller can append them and a rerun can skip the ids already done. Prompts use the
 * Alpaca template (the default for base models, as AlpaGasus generated its test answers) or the tokenizer's chat
 * template ('auto' picks chat when the tokenizer has one; multi-turn rows need it). Batches are left-padded; a
 * prompt longer than the context minus maxNewTokens keeps its last tokens (`truncated`). Greedy by default; with
 * sampling, results depend on the batch size (one generator per batch). Not handled: beam search across rows.
 */
import { generateAll, type GenerateHooks } from '../generate/generate';
import type { GenerationOptions } from '../generate/options';
import type { Model } from '../model/types';
import { adapterLinear, primeGeneration, type Adapter } from '../peft';
import { alpacaPrompt } from '../tokenizer/alpaca';
import { applyChatTemplate } from '../tokenizer/chat-template';
import type { TextTokenizer } from '../tokenizer/tokenizer';
import type { PromptRow } from './prompt-rows';

export type PromptFormat = 'alpaca' | 'chat' | 'auto';

/** One line of the results file. */
export interface PredictionLine {
  id: string;
  /** The text the model was given (template applied). */
  prompt: string;
  output: string;
  /** The question as the judge sees it. */
  question: string;
  set?: string;
  reference?: string;
  finish_reason: string;
  /** Prompt cut from the left to fit the context. */
  truncated?: boolean;
}

export interface PredictOptions {
  model: Model;
  tokenizer: TextTokenizer;
  adapter?: Adapter | null;
  rows: PromptRow[];
  /** Ids already in the results file: skipped. */
  done?: ReadonlySet<string>;
  generation?: Partial<GenerationOptions>;
  promptFormat?: PromptFormat;
  /** Rows per generate call. Default 8. */
  batchSize?: number;
  onResults?: (lines: PredictionLine[]) => Promise<void> | void;
  onProgress?: (p: { done: number; total: number }) => void;
  signal?: AbortSignal;
}

export class PredictError extends Error {
  override name = 'PredictError';
}

/** The prompt text of a row in `format` ('auto' resolved by the caller). */
export function renderPrompt(tok: TextTokenizer, row: PromptRow, format: 'alpaca' | 'chat'): string {
  if (format === 'chat' || row.messages) {
    if (!tok.chatTemplate) throw new PredictError(`row '${row.id}': ${row.messages ? 'a multi-turn row needs' : '--prompt-format chat needs'} a tokenizer with a chat template`);
    const messages = row.messages ?? [{ role: 'user' as const, content: row.input ? `${row.instruction}\n${row.input}` : row.instruction }];
    return applyChatTemplate(tok, messages, { addGenerationPrompt: true });
  }
  return alpacaPrompt(row.instruction, row.input);
}

export async function predict(o: PredictOptions): Promise<{ generated: number; skipped: number }> {
  const { model, tokenizer: tok } = o;
  const format = o.promptFormat === 'chat' || (o.promptFormat === 'auto' && tok.chatTemplate) ? 'chat' : 'alpaca';
  const bs = o.batchSize ?? 8;
  if (!(Number.isInteger(bs) && bs >= 1)) throw new PredictError(`batchSize must be an integer >= 1, got ${bs}`);
  const maxNew = o.generation?.maxNewTokens ?? 128;
  const room = model.config.maxPositions - maxNew;
  if (room < 1) throw new PredictError(`maxNewTokens ${maxNew} leaves no room for a prompt in the model's ${model.config.maxPositions}-token context`);
  const todo = o.rows.filter((r) => !o.done?.has(r.id));
  const skipped = o.rows.length - todo.length;
  const pad = tok.padTokenId ?? tok.eosTokenId ?? 0;
  const a = o.adapter ?? null;
  const hooks: GenerateHooks = {
    decode: (g) => tok.decode(g, { skipSpecialTokens: true }),
    signal: o.signal,
    ...(a ? { linear: adapterLinear(a), prime: (B: number) => primeGeneration(model, a, B) } : {}),
  };
  let generated = 0;
  for (let at = 0; at < todo.length; at += bs) {
    o.signal?.throwIfAborted();
    const batch = todo.slice(at, at + bs);
    const texts = batch.map((r) => renderPrompt(tok, r, format));
    // A chat template writes its own special tokens; the Alpaca text gets the tokenizer's (bos).
    const encoded = texts.map((t) => tok.encode(t, { addSpecialTokens: format === 'alpaca' }));
    const cut = encoded.map((ids) => (ids.length > room ? ids.slice(ids.length - room) : ids));
    const S = Math.max(...cut.map((p) => p.length));
    const ids = cut.map((p) => [...Array(S - p.length).fill(pad), ...p]);
    const attentionMask = cut.map((p) => [...Array(S - p.length).fill(0), ...p.map(() => 1)]);
    const eos = tok.eosTokenId === null ? undefined : [tok.eosTokenId];
    const r = await generateAll(model, { ids, attentionMask }, { ...(eos ? { eosTokenIds: eos } : {}), padTokenId: pad, ...o.generation, maxNewTokens: maxNew }, hooks);
    o.signal?.throwIfAborted();
    const lines = batch.map((row, j): PredictionLine => ({
      id: row.id, prompt: texts[j], output: r.texts[j], question: row.question,
      ...(row.set ? { set: row.set } : {}), ...(row.reference !== undefined ? { reference: row.reference } : {}),
      finish_reason: r.finishReasons[j], ...(cut[j].length < encoded[j].length ? { truncated: true } : {}),
    }));
    await o.onResults?.(lines);
    generated += batch.length;
    o.onProgress?.({ done: skipped + generated, total: o.rows.length });
  }
  return { generated, skipped };
}
