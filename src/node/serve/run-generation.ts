/**
 * One request's generation: generate() on the base with the entry's adapter hooks, one prompt row, text deltas
 * handed to `onDelta` as they become safe to show. Between steps it yields to the event loop (setImmediate), so
 * sockets are written and a client's disconnect (the abort signal) is seen while the model is busy; generate()
 * checks the signal before every step. Not handled: beam search yields nothing until it ends, so it is not
 * cancelled mid-way.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { generate } from '../../generate/generate';
import type { GenerationOptions } from '../../generate/options';
import type { FinishReason } from '../../generate/stop';
import type { ModelRegistry, ServedEntry } from './models';

export interface RunResult {
  text: string;
  /** Generated tokens (eos included when it ended the reply, as vLLM counts them). */
  completionTokens: number;
  reason: FinishReason;
  /** Prompt tokens whose keys and values came from the entry's prompt cache (OpenAI's cached_tokens). */
  cachedTokens: number;
}

/** OpenAI's finish_reason: eos, a stop string and stop_token_ids are "stop"; a shutdown's abort is "abort" (vLLM). */
export function finishReason(r: FinishReason): 'stop' | 'length' | 'abort' {
  return r === 'length' ? 'length' : r === 'aborted' ? 'abort' : 'stop';
}

export async function runGeneration(
  models: ModelRegistry,
  entry: ServedEntry,
  promptIds: number[],
  options: Partial<GenerationOptions>,
  signal: AbortSignal,
  onDelta?: (text: string) => Promise<void>,
): Promise<RunResult> {
  const decode = (g: number[]) => models.tok.decode(g, { skipSpecialTokens: true });
  const gen = generate(models.base, { ids: [promptIds] }, options, { decode, signal, ...entry.hooks, promptCache: entry.promptCache });
  try {
    for (;;) {
      const r = await gen.next();
      if (r.done) return { text: r.value.texts[0], completionTokens: r.value.tokens[0].length, reason: r.value.finishReasons[0], cachedTokens: r.value.reusedPromptTokens };
      if (r.value.textDelta[0] && onDelta) await onDelta(r.value.textDelta[0]);
      await nextTurn();
    }
  } finally {
    await gen.return(undefined as never); // runs generate()'s finally (frees the KV cache) when we leave early
  }
}
