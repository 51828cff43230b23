/**
 * The ingest worker's API (workers/ingest-worker.ts): the dataset catalogue, pulls from the hub into the IndexedDB
 * ShardStore (progress, abort, resume), previews and unified-record exports of any source, and AlpaGasus filtering
 * through an OpenAI-compatible endpoint. Types only: the UI imports them without the data code. The API key rides
 * in one `filter` call's params and is held nowhere else (not in the experiment, a link or storage).
 */
import type { DatasetEntry } from '../data/manifest';
import type { MixSpec } from '../data/mix';
import type { PullProgress } from '../data/shards';
import type { Rejection, UnifiedRecord } from '../data/records';
import type { RatingPrompt } from '../data/filter';

export type { DatasetEntry, MixSpec, PullProgress, Rejection, UnifiedRecord, RatingPrompt };

/** Where records come from: an embedded file (absolute URL), a dropped file's text, a pulled entry, a stored set. */
export type IngestSource =
  | { kind: 'url'; name: string; url: string }
  | { kind: 'text'; name: string; text: string }
  | { kind: 'dataset'; id: string }
  | { kind: 'stored'; name: string; key: string };

export interface CatalogueInfo {
  datasets: DatasetEntry[];
  mixes: MixSpec[];
  /** Every tag by group, in display order, with its meaning ('EN' -> 'English instructions'). */
  tags: { group: 'Lang' | 'Task' | 'Gen'; tag: string; meaning: string }[];
}

export interface PullParams {
  /** A catalogue id, e.g. 'alpaca-cleaned'. The hub host is the worker's (https://huggingface.co). */
  id: string;
}

export interface PullSummary {
  id: string;
  repo: string;
  revision: string;
  files: number;
  bytes: number;
  /** Bytes fetched by this call (0 when everything was already stored). */
  downloadedBytes: number;
}

export interface PreviewParams {
  source: IngestSource;
  /** Records to return, e.g. 5. */
  limit: number;
}

export interface PreviewResult {
  name: string;
  /** The converter that read it ('alpaca', 'jsonl', 'sharegpt', ...). */
  shape: string;
  rows: number;
  records: number;
  first: { where: string; record: UnifiedRecord }[];
  rejectedCount: number;
  /** The first few rejected rows with their reasons. */
  rejected: Rejection[];
}

/** A source as unified JSON Lines, ready for the train worker's prepareData (`{name, text}`). */
export interface RecordsResult {
  name: string;
  jsonl: string;
  records: number;
  rejected: number;
}

export interface RaterEndpoint {
  /** e.g. 'https://api.openai.com/v1' or 'http://127.0.0.1:8080/v1'. */
  baseUrl: string;
  /** e.g. 'gpt-4o-mini'. */
  model: string;
  /** Memory only; '' for local servers that need none. */
  apiKey: string;
}

export interface FilterParams {
  source: IngestSource;
  endpoint: RaterEndpoint;
  /** Keep score >= threshold; default 4.5 (AlpaGasus). */
  threshold: number;
  /** Rate only the first N records (0 = all). */
  limit: number;
  /** Prompts per rater round; default 8. */
  batchSize?: number;
  /** Rate with this tab's model instead of `endpoint`: a port the session worker serves RaterPortApi on (transferred). */
  raterPort?: MessagePort;
}

/** What the session worker serves on a rater port (train-api.ts serveRater): the model's answers to rating prompts. */
export type RaterPortApi = {
  label: { params: Record<string, never>; result: string; progress: never };
  rate: { params: { prompts: RatingPrompt[] }; result: string[]; progress: never };
};

/** 11 bins of 0.5 (0, 0.5, ..., 5; the last holds exactly 5) plus the unparsable answers. */
export interface ScoreHistogram {
  bins: { score: number; count: number }[];
  unparsed: number;
}

export interface FilterProgress {
  rated: number;
  total: number;
  kept: number;
  histogram: ScoreHistogram;
}

export interface FilterSummary {
  /** Name of the filtered set, e.g. 'tasks-en (AlpaGasus >= 4.5)'. */
  name: string;
  /** Its key in the ShardStore: read it back with `records({kind: 'stored', key})`. */
  key: string;
  total: number;
  kept: number;
  rejected: number;
  /** Rated by this call, and reused from an earlier (interrupted) run with the same rater. */
  rated: number;
  reused: number;
  threshold: number;
  histogram: ScoreHistogram;
  ms: number;
}

/** One thing in the ShardStore ('webift-shards'), as the Storage screen lists it. */
export interface StoredItem {
  key: string;
  /** A pulled hub file, an unfinished download, AlpaGasus scores of a source, a kept (filtered) set. */
  kind: 'dataset-file' | 'partial' | 'scores' | 'kept-set';
  /** For people, e.g. 'dolly/dolly.json (QingyiSi/Alpaca-CoT)' or 'tasks-en-alpagasus4.5.jsonl'. */
  label: string;
  bytes: number;
  /** Catalogue ids whose files include this one (a file can serve several entries). */
  entries: string[];
}

/** One item (a complete shard, or only its partial download when `partial`), or everything when `key` is absent. */
export interface DeleteStoredParams {
  key?: string;
  partial?: boolean;
}

export type IngestApi = {
  manifest: { params: Record<string, never>; result: CatalogueInfo; progress: never };
  /** Ids of catalogue entries whose files are all in the ShardStore. */
  pulled: { params: Record<string, never>; result: string[]; progress: never };
  pull: { params: PullParams; result: PullSummary; progress: PullProgress };
  preview: { params: PreviewParams; result: PreviewResult; progress: never };
  records: { params: { source: IngestSource }; result: RecordsResult; progress: never };
  filter: { params: FilterParams; result: FilterSummary; progress: FilterProgress };
  /** What the ShardStore holds: pulled files, unfinished downloads, filter scores and kept sets, with sizes. */
  storedItems: { params: Record<string, never>; result: StoredItem[]; progress: never };
  /** Deletes one stored item or all of them; resolves to how many were removed. */
  deleteStored: { params: DeleteStoredParams; result: number; progress: never };
};
