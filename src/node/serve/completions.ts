/**
 * POST /v1/chat/completions and POST /v1/completions: validate the body, tokenize the prompt, wait for a slot in the
 * queue, generate, and answer in OpenAI's shapes (`chat.completion` / `text_completion`, or with `stream: true` their
 * SSE chunks ending in `data: [DONE]`; `stream_options.include_usage` adds the usage chunk). A client that goes
 * away aborts its generation, queued or running. Not handled: logprobs, tools, n > 1 (params.ts refuses them).
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { resolveOptions, GenerationOptionsError, type GenerationOptions } from '../../generate/options';
import { ApiError, asApiError, badRequest } from './api-error';
import type { ModelRegistry, ServedEntry } from './models';
import { finishPlan, readSampling } from './params';
import { chatPromptIds, completionPromptIds, readMessages } from './prompts';
import type { JobQueue } from './queue';
import { finishReason, runGeneration, type RunResult } from './run-generation';
import { SseWriter } from './sse';

export type Endpoint = 'chat' | 'text';

/** One line per finished request, for the server log and for tests. */
export interface RequestRecord {
  id: string;
  endpoint: Endpoint;
  model: string;
  stream: boolean;
  promptTokens: number;
  completionTokens: number;
  /** generate()'s reason: eos, stop_string, length, or aborted (client gone, shutdown, refused while waiting, error). */
  reason: RunResult['reason'];
  queueMs: number;
  ms: number;
}

export interface CompletionContext {
  models: ModelRegistry;
  queue: JobQueue;
  /** Default for max_tokens when a request has none; null = the rest of the context. */
  defaultMaxTokens: number | null;
  drawSeed: () => number;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Aborted when the server stops waiting for running generations (shutdown's grace period ran out). */
  shutdown: AbortSignal;
  onRecord: (r: RequestRecord) => void;
  /** An unexpected error (a bug): the server logs it; the client only gets a generic 500. */
  onError: (e: unknown) => void;
}

interface Prepared {
  entry: ServedEntry;
  promptIds: number[];
  options: Partial<GenerationOptions>;
  stream: boolean;
  includeUsage: boolean;
}

function prepare(ctx: CompletionContext, endpoint: Endpoint, body: Record<string, unknown>): Prepared {
  const entry = ctx.models.resolve(body.model);
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw badRequest("'stream' must be true or false", 'stream');
  const stream = body.stream === true;
  const so = body.stream_options as { include_usage?: unknown } | undefined | null;
  const includeUsage = stream && so?.include_usage === true;
  const plan = readSampling(body);
  const { base, tok } = ctx.models;
  const promptIds = endpoint === 'chat' ? chatPromptIds(tok, readMessages(body.messages)) : completionPromptIds(tok, body.prompt, base.config.vocabSize);
  const options = finishPlan(plan, {
    promptTokens: promptIds.length, context: base.config.maxPositions, defaultMaxTokens: ctx.defaultMaxTokens,
    modelEos: base.config.eosTokenIds, drawSeed: ctx.drawSeed, promptParam: endpoint === 'chat' ? 'messages' : 'prompt',
  });
  try {
    resolveOptions(options, { eosTokenIds: base.config.eosTokenIds, padTokenId: base.config.padTokenId });
  } catch (e) {
    if (e instanceof GenerationOptionsError) throw badRequest(e.message);
    throw e;
  }
  return { entry, promptIds, options, stream, includeUsage };
}

/** OpenAI's usage, with prompt_tokens_details.cached_tokens: prompt tokens served from the entry's prompt cache. */
const usageOf = (prompt: number, completion: number, cached: number) => ({
  prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: cached },
});

/** One streamed choice: a chat delta ({role} first, then {content}, then {} with the finish reason) or a text piece. */
function chunkChoice(endpoint: Endpoint, delta: Record<string, string>, finish: string | null) {
  return endpoint === 'chat' ? { index: 0, delta, logprobs: null, finish_reason: finish } : { index: 0, text: delta.content ?? '', logprobs: null, finish_reason: finish };
}

/** Handles one completion request; errors before the response started are thrown for the server to answer. */
export async function handleCompletion(ctx: CompletionContext, endpoint: Endpoint, body: Record<string, unknown>, res: ServerResponse): Promise<void> {
  const p = prepare(ctx, endpoint, body);
  const t0 = ctx.now();
  const id = `${endpoint === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomBytes(12).toString('hex')}`;
  const object = endpoint === 'chat' ? 'chat.completion' : 'text_completion';
  const head = { id, object: p.stream && endpoint === 'chat' ? 'chat.completion.chunk' : object, created: Math.floor(t0 / 1000), model: p.entry.id };
  const record = (r: Pick<RequestRecord, 'completionTokens' | 'reason' | 'queueMs'>) =>
    ctx.onRecord({ id, endpoint, model: p.entry.id, stream: p.stream, promptTokens: p.promptIds.length, ms: ctx.now() - t0, ...r });

  // The client leaving, or the end of the shutdown's grace period, aborts the job, whether it waits or runs.
  const ac = new AbortController();
  res.on('close', () => void (res.writableFinished || ac.abort(new ApiError(499, 'the client closed the connection'))));
  const onShutdown = () => ac.abort(new ApiError(503, 'the server is shutting down', 'server_error', null, 'shutting_down'));
  ctx.shutdown.addEventListener('abort', onShutdown, { once: true });

  const sse = p.stream ? new SseWriter(res) : null;
  let queueMs = 0;
  try {
    const result = await ctx.queue.run(async () => {
      queueMs = ctx.now() - t0;
      sse?.open(); // headers once a slot is free, so a refusal while waiting (429, 503) is still a real HTTP status
      if (sse && endpoint === 'chat') await sse.send({ ...head, choices: [chunkChoice(endpoint, { role: 'assistant', content: '' }, null)] });
      const onDelta = sse ? (d: string) => sse.send({ ...head, choices: [chunkChoice(endpoint, { content: d }, null)] }) : undefined;
      return runGeneration(ctx.models, p.entry, p.promptIds, p.options, ac.signal, onDelta);
    }, ac.signal);
    const finish = finishReason(result.reason);
    const usage = usageOf(p.promptIds.length, result.completionTokens, result.cachedTokens);
    if (sse) {
      await sse.send({ ...head, choices: [chunkChoice(endpoint, {}, finish)] });
      if (p.includeUsage) await sse.send({ ...head, choices: [], usage });
      sse.done();
    } else if (!res.destroyed) {
      const answer = endpoint === 'chat' ? { message: { role: 'assistant', content: result.text } } : { text: result.text };
      sendJson(res, 200, { ...head, choices: [{ index: 0, ...answer, logprobs: null, finish_reason: finish }], usage });
    }
    record({ completionTokens: result.completionTokens, reason: result.reason, queueMs });
  } catch (e) {
    if (res.destroyed) return record({ completionTokens: 0, reason: 'aborted', queueMs }); // gone while queued
    if (!sse || !res.headersSent) {
      record({ completionTokens: 0, reason: 'aborted', queueMs }); // refused while waiting (503), or a bug (500)
      throw e;
    }
    // The stream already said 200: the error goes into the stream (the openai client raises it), then [DONE].
    if (!(e instanceof ApiError)) ctx.onError(e);
    await sse.send(asApiError(e).body());
    sse.done();
    record({ completionTokens: 0, reason: 'aborted', queueMs });
  } finally {
    ctx.shutdown.removeEventListener('abort', onShutdown);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}
