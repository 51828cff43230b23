/**
 * A Judge (judge.ts: the filter's rater and the pairwise judge) over any OpenAI-compatible chat-completions
 * endpoint (`POST {baseUrl}/chat/completions`: OpenAI, vLLM, llama.cpp server, Ollama...), with AlpaGasus's request settings (temperature 0, top_p 1, max_tokens 256; they
 * used gpt-3.5-turbo-0301, now retired). The API key lives only in this closure: it is sent as a Bearer header and
 * never appears in an error or a label. Retries 429 (honouring Retry-After) and 5xx / network failures with
 * doubling waits; 401/403 and other 4xx fail at once with a clear RaterError. Not handled: streaming, tool calls.
 */
import type { Judge, JudgePrompt } from './judge';

export interface OpenAiRaterOptions {
  /** e.g. 'https://api.openai.com/v1' or 'http://127.0.0.1:8080/v1' (a full '.../chat/completions' URL also works). */
  baseUrl: string;
  /** Held in memory only; omitted for local servers that need none. */
  apiKey?: string;
  /** Default 'gpt-3.5-turbo'. */
  model?: string;
  /** Requests in flight at once within one rate() call. Default 4. */
  concurrency?: number;
  /** Extra attempts after a 429, a 5xx or a network failure. Default 3. */
  retries?: number;
  /** First wait before a retry, doubled each time (Retry-After wins when larger). Default 1000 ms. */
  retryDelayMs?: number;
  maxTokens?: number;
  fetch?: typeof globalThis.fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export class RaterError extends Error {
  override name = 'RaterError';
  constructor(message: string, readonly status: number | null) {
    super(message);
  }
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason); }, { once: true });
  });

export function chatCompletionsUrl(baseUrl: string): string {
  const b = baseUrl.replace(/\/+$/, '');
  return b.endsWith('/chat/completions') ? b : `${b}/chat/completions`;
}

function statusHint(status: number): string {
  if (status === 401) return ': the API key was rejected (missing, wrong or revoked)';
  if (status === 403) return ': the API key may not use this model or endpoint';
  if (status === 404) return ': no chat-completions endpoint here (check the base URL, usually ending in /v1) or no such model';
  if (status === 429) return ': rate limited or out of quota';
  return '';
}

async function errorDetail(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const msg = (JSON.parse(text) as { error?: { message?: string } | string }).error;
    return typeof msg === 'string' ? msg : (msg?.message ?? text.slice(0, 200));
  } catch {
    return text.slice(0, 200);
  }
}

export function openAiRater(o: OpenAiRaterOptions): Judge {
  const url = chatCompletionsUrl(o.baseUrl);
  const model = o.model ?? 'gpt-3.5-turbo';
  const fetchFn = o.fetch ?? globalThis.fetch.bind(globalThis);
  const sleep = o.sleep ?? defaultSleep;
  const retries = o.retries ?? 3;
  const apiKey = o.apiKey;

  async function one(p: JudgePrompt, signal?: AbortSignal): Promise<string> {
    const body = JSON.stringify({
      model,
      messages: [{ role: 'system', content: p.system }, { role: 'user', content: p.user }],
      temperature: 0,
      top_p: 1,
      max_tokens: o.maxTokens ?? 256,
    });
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (apiKey) headers.Authorization = `Bearer ${apiKey}`;
    for (let attempt = 0; ; attempt++) {
      let wait = (o.retryDelayMs ?? 1000) * 2 ** attempt;
      let failure: RaterError;
      try {
        const res = await fetchFn(url, { method: 'POST', headers, body, signal });
        if (res.ok) {
          const json = (await res.json().catch(() => null)) as { choices?: { message?: { content?: unknown } }[] } | null;
          const content = json?.choices?.[0]?.message?.content;
          if (typeof content !== 'string') throw new RaterError(`${url}: the answer has no choices[0].message.content (not a chat-completions response)`, res.status);
          return content;
        }
        failure = new RaterError(`${url}: HTTP ${res.status}${statusHint(res.status)} (${await errorDetail(res)})`, res.status);
        if (res.status !== 429 && res.status < 500) throw failure;
        const after = Number(res.headers.get('retry-after'));
        if (Number.isFinite(after) && after > 0) wait = Math.max(wait, after * 1000);
      } catch (e) {
        if (e instanceof RaterError) throw e;
        if (signal?.aborted) throw signal.reason ?? e;
        failure = new RaterError(`${url}: request failed (${(e as Error).message})`, null);
      }
      if (attempt >= retries) throw new RaterError(`${failure.message}; gave up after ${retries + 1} attempts`, failure.status);
      await sleep(wait, signal);
    }
  }

  return {
    label: `${model} @ ${url}`,
    async rate(prompts, signal) {
      const out: string[] = new Array(prompts.length);
      let next = 0;
      const worker = async () => {
        while (next < prompts.length) {
          const i = next++;
          out[i] = await one(prompts[i], signal);
        }
      };
      await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 4, prompts.length) }, worker));
      return out;
    },
  };
}
