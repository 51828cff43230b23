/**
 * Reads the embedded data's index (`/data/synthetic/index.json`) into data sources, tolerant of its shape: a list
 * of file names, a list of entries ({name, file|path|url, ...}), or an object holding such a list under `datasets`,
 * `files` or `sources`. Paths resolve against the index's URL. Held-out, test and pretraining-corpus files are
 * listed but left out of the default mix (they are not instruction training data).
 */
import type { DataSourceRef } from '../../experiment/experiment';

export interface IndexEntry extends DataSourceRef {
  /** In the default mix. */
  train: boolean;
  records: number | null;
  tags: string[];
  description: string;
}

const NOT_TRAIN = /(^|[-_./ ])(test|heldout|held-out|eval|corpus|pretrain)/i;

function entryOf(raw: unknown, base: string): IndexEntry | null {
  if (typeof raw === 'string') raw = { file: raw };
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const file = [r.file, r.path, r.url, r.href].find((x) => typeof x === 'string') as string | undefined;
  if (!file || !/\.(jsonl?|csv)$/i.test(file)) return null;
  const url = new URL(file, base);
  const name = typeof r.name === 'string' ? r.name : file.replace(/^.*\//, '');
  const split = [r.split, r.kind, r.role, r.use].filter((x) => typeof x === 'string').join(' ');
  const tags = Array.isArray(r.tags) ? r.tags.filter((t): t is string => typeof t === 'string') : [];
  const count = [r.records, r.count, r.n].find((x) => typeof x === 'number') as number | undefined;
  return {
    name, url: url.origin === new URL(base).origin ? url.pathname : url.href, weight: 1, train: !NOT_TRAIN.test(`${split} ${name} ${file}`) && r.train !== false,
    records: count ?? null, tags, description: typeof r.description === 'string' ? r.description : '',
  };
}

export function parseDataIndex(json: unknown, indexUrl: string): IndexEntry[] {
  const list = Array.isArray(json) ? json : ['datasets', 'files', 'sources', 'sets'].map((k) => (json as Record<string, unknown> | null)?.[k]).find(Array.isArray);
  if (!list) return [];
  return (list as unknown[]).map((x) => entryOf(x, indexUrl)).filter((x): x is IndexEntry => x !== null);
}

/** The default mix: the training entries, all records of each. */
export function defaultMix(entries: IndexEntry[]): DataSourceRef[] {
  return entries.filter((e) => e.train).map(({ name, url }) => ({ name, url, weight: 1 }));
}
