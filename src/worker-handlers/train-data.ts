/**
 * prepareData: fetches or takes each source of the mix (JSON, JSON Lines or CSV), parses it into unified records
 * with per-record rejections, keeps a seeded share of each source (its weight, 1 = all), tokenizes with the model's
 * tokenizer and returns per-source counts, the token-length histogram and a preview. The examples stay in the
 * session for train(). Not handled: parquet and the hub manifest (the data platform's ingest path).
 */
import { parseRecords, type Rejection, type UnifiedRecord } from '../data/records';
import { tokenizeRecords } from '../data/tokenize-example';
import { datasetStats } from '../data/dataset-stats';
import { permutation, Rng } from '../data/rng';
import type { DataSourceSpec, DataSummary, PrepareDataParams } from '../protocol/train-api';
import type { HandlerContext } from '../protocol/serve';
import { csvRecords } from './records-csv';
import { needTokenizer, userError, type Session } from './session';

async function sourceText(s: DataSourceSpec, signal: AbortSignal): Promise<string> {
  if (typeof s.text === 'string') return s.text;
  if (!s.url) throw userError(`Data source '${s.name}' has neither a URL nor a file.`);
  const res = await fetch(s.url, { signal }).catch((e) => {
    throw userError(`Could not download the data source '${s.name}'. Check the connection and try again.`, String(e));
  });
  if (!res.ok) throw userError(`The data source '${s.name}' could not be downloaded (the server answered ${res.status}).`, s.url);
  return res.text();
}

export function parseSource(name: string, text: string): { records: UnifiedRecord[]; rejected: Rejection[] } {
  try {
    if (/\.csv$/i.test(name)) return csvRecords(text, name);
    const p = parseRecords(text, { label: name });
    return { records: p.records, rejected: p.rejected };
  } catch (e) {
    throw userError(`The data source '${name}' could not be read: ${(e as Error).message}`, String(e));
  }
}

/** The first ceil(weight * n) records of a seeded permutation, in their original order (weight in (0, 1]). */
export function takeShare<T>(items: T[], weight: number, seed: number): T[] {
  if (weight >= 1) return items;
  const k = Math.max(1, Math.ceil(Math.max(0, weight) * items.length));
  const idx = Array.from(permutation(items.length, new Rng(seed)).slice(0, k)).sort((a, b) => a - b);
  return idx.map((i) => items[i]);
}

export function dataKey(p: PrepareDataParams): string {
  return JSON.stringify({ s: p.sources.map((s) => [s.name, s.url ?? `text:${s.text?.length}`, s.weight]), c: p.cutoffLen, f: p.promptFormat, t: p.trainOnInputs });
}

export async function prepareData(session: Session, p: PrepareDataParams, ctx: HandlerContext<{ source: string; done: number; total: number }>): Promise<DataSummary> {
  await session.backend;
  const tok = needTokenizer(session);
  if (!p.sources.length) throw userError('The data mix is empty. Add at least one data source on the Data screen.');
  const all: UnifiedRecord[] = [];
  const perSource: DataSummary['perSource'] = [];
  const preview: DataSummary['preview'] = [];
  for (const [i, s] of p.sources.entries()) {
    ctx.signal.throwIfAborted();
    ctx.progress({ source: s.name, done: i, total: p.sources.length });
    const parsed = parseSource(s.name, await sourceText(s, ctx.signal));
    const used = takeShare(parsed.records, s.weight, 1234 + i);
    all.push(...used);
    for (const r of parsed.records.slice(0, 3)) preview.push({ source: s.name, record: r });
    const first = parsed.rejected[0];
    perSource.push({ name: s.name, records: parsed.records.length, used: used.length, rejected: parsed.rejected.length, firstRejection: first ? `${first.where}: ${first.reason}` : null });
  }
  const tokenized = tokenizeRecords(all, tok, { cutoffLen: p.cutoffLen, trainOnInputs: p.trainOnInputs, promptFormat: p.promptFormat });
  if (!tokenized.examples.length) {
    const r = tokenized.rejected[0];
    throw userError(`No record of the data mix could be used${r ? ` (first problem: ${r.where}: ${r.reason})` : ''}. Check the file's fields: instruction, input, output.`);
  }
  session.data = { examples: tokenized.examples, key: dataKey(p) };
  const st = datasetStats(tokenized.examples);
  ctx.progress({ source: '', done: p.sources.length, total: p.sources.length });
  return {
    perSource, preview, examples: st.count, totalTokens: st.totalTokens, meanLength: st.meanLength, maxLength: st.maxLength,
    truncated: st.truncated, histogram: st.histogram,
  };
}
