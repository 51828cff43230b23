/**
 * filter: AlpaGasus over one source (data/filter.ts + data/rater-openai.ts), streaming the running 11-bin score
 * histogram after every batch. Scores are kept in the ShardStore per (source, rater) and written at most every
 * 2 s and whenever the run ends (done, failed or aborted), so a cancelled run keeps what it paid for and the next
 * run rates only the rest. The kept records become a stored JSON Lines set, usable as a training source. The rater
 * is an OpenAI endpoint (its key lives only in this call) or this tab's model, served on a port (raterPort).
 */
import { filterRecords, parseScoresJsonl, recordFingerprint, scoreHistogram, scoreLineJson, type Rater, type ScoreLine } from '../data/filter';
import { decodeText } from '../data/converters/rows';
import { openAiRater } from '../data/rater-openai';
import { readShard } from '../data/store/shard-store';
import type { FilterParams, FilterProgress, FilterSummary, IngestSource, RaterPortApi } from '../protocol/ingest-api';
import { createClient } from '../protocol/client';
import type { Endpoint } from '../protocol/wire';
import type { HandlerContext } from '../protocol/serve';
import { readSource, toJsonl, type IngestDeps } from './ingest-sources';
import { userError } from './session';

export interface FilterDeps extends IngestDeps {
  now?: () => number;
  /** Between score writes, ms; default 2000. */
  flushEveryMs?: number;
  /** Rater retries and their first wait (tests shorten them). */
  retries?: number;
  retryDelayMs?: number;
}

function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

export function sourceLabel(s: IngestSource): string {
  return s.kind === 'dataset' ? s.id : s.name;
}

/** A file-like name for the kept set: 'tasks-en.jsonl' at 4.5 -> 'tasks-en-alpagasus4.5.jsonl'. */
export function filteredName(source: string, threshold: number): string {
  return `${source.replace(/\.(jsonl?|csv)$/i, '')}-alpagasus${threshold}.jsonl`;
}

export function scoresKey(source: string, e: { baseUrl: string; model: string }): string {
  return `scores/${encodeURIComponent(source)}/${fnv(`${e.model}@${e.baseUrl.replace(/\/+$/, '')}`)}.jsonl`;
}

export async function runFilter(deps: FilterDeps, p: FilterParams, ctx: HandlerContext<FilterProgress>): Promise<FilterSummary> {
  const threshold = p.threshold ?? 4.5;
  if (!(threshold >= 0 && threshold <= 5)) throw userError(`The threshold must be between 0 and 5 (got ${threshold}).`);
  const port = p.raterPort ? await portRater(p.raterPort, ctx.signal) : null;
  try {
    return await filterWith(deps, p, ctx, threshold, port ? { rater: port.rater, id: { model: port.rater.label, baseUrl: 'local:' } } : endpointRater(deps, p));
  } finally {
    port?.close();
  }
}

/** This tab's model as a rater: the session worker answers on the port (train-api.ts serveRater). */
async function portRater(port: MessagePort, signal: AbortSignal): Promise<{ rater: Rater; close(): void }> {
  port.start();
  const c = createClient<RaterPortApi>(port as unknown as Endpoint);
  const label = await c.call('label', {}, { signal });
  return { rater: { label, rate: (prompts, sig) => c.call('rate', { prompts }, { signal: sig }) }, close: () => (c.close(), port.close()) };
}

/** The OpenAI-compatible endpoint as a rater, after checking its URL and model; `id` keys its saved scores. */
function endpointRater(deps: FilterDeps, p: FilterParams): { rater: Rater; id: { model: string; baseUrl: string } } {
  let url: URL;
  try {
    url = new URL(p.endpoint.baseUrl);
  } catch {
    throw userError(`The rater's base URL '${p.endpoint.baseUrl}' is not a URL. Use e.g. https://api.openai.com/v1.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw userError('The rater URL must start with http:// or https://.');
  if (!p.endpoint.model.trim()) throw userError('Name the rater model, e.g. gpt-4o-mini.');
  const rater = openAiRater({ baseUrl: p.endpoint.baseUrl, model: p.endpoint.model, apiKey: p.endpoint.apiKey || undefined, fetch: deps.fetch, retries: deps.retries, retryDelayMs: deps.retryDelayMs });
  return { rater, id: { model: p.endpoint.model, baseUrl: p.endpoint.baseUrl } };
}

async function filterWith(deps: FilterDeps, p: FilterParams, ctx: HandlerContext<FilterProgress>, threshold: number, by: { rater: Rater; id: { model: string; baseUrl: string } }): Promise<FilterSummary> {
  const now = deps.now ?? Date.now;
  const t0 = now();

  const src = await readSource(deps, p.source, ctx.signal);
  const records = p.limit > 0 ? src.records.slice(0, p.limit) : src.records;
  if (!records.length) throw userError(`'${src.name}' has no usable record to rate.`);
  const label = sourceLabel(p.source);
  const key = scoresKey(label, by.id);
  const prior = await readShard(deps.store, key);
  const previous = prior ? parseScoresJsonl(decodeText(prior)).lines : [];

  const scores = new Map<number, ScoreLine>();
  // As filterRecords reuses them: same index, same record.
  for (const l of previous) if (l.index < records.length && recordFingerprint(records[l.index]) === l.fp) scores.set(l.index, l);
  let dirty = false, lastFlush = now();
  const flush = async () => {
    if (!dirty) return;
    dirty = false;
    lastFlush = now();
    const body = [...scores.values()].sort((a, b) => a.index - b.index).map(scoreLineJson).join('\n') + '\n';
    await deps.store.put(key, new TextEncoder().encode(body), { source: `AlpaGasus scores of ${label} by ${by.id.model}` });
  };
  const report = () => {
    const all = [...scores.values()].map((l) => l.score);
    ctx.progress({ rated: scores.size, total: records.length, kept: all.filter((s) => s >= threshold).length, histogram: scoreHistogram(all) });
  };

  const rater = by.rater;
  report();
  let result;
  try {
    result = await filterRecords({
      records, rater, threshold, previous, batchSize: p.batchSize ?? 8, signal: ctx.signal,
      onScores: async (lines) => {
        for (const l of lines) scores.set(l.index, l);
        dirty = true;
        report();
        if (now() - lastFlush >= (deps.flushEveryMs ?? 2000)) await flush();
      },
    });
  } catch (e) {
    throw ctx.signal.aborted ? e : userError(`The rater failed: ${(e as Error).message}. The scores so far are kept; run again to go on.`, String(e));
  } finally {
    await flush().catch(() => undefined);
  }
  const name = filteredName(src.name, threshold);
  const keptKey = `filtered/${encodeURIComponent(name)}`;
  await deps.store.put(keptKey, new TextEncoder().encode(toJsonl(result.kept)), { source: `${label} rated by ${by.id.model}, kept score >= ${threshold}` });
  return {
    name, key: keptKey, total: records.length, kept: result.kept.length, rejected: records.length - result.kept.length,
    rated: result.rated, reused: result.reused, threshold, histogram: result.histogram, ms: now() - t0,
  };
}
