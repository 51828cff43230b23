/**
 * The judge's test sets from the catalogue (datasets-manifest.json, role 'eval'): the Koala, Vicuna, WizardLM and
 * Self-Instruct sets AlpaGasus judged on. Each is read whole from its pinned location (GitHub at the recorded
 * commit, else the hub at the recorded revision) and handed to the eval worker as text; the worker reads the rows
 * by their own keys (eval/prompt-rows.ts). Not handled: sets split over several files, caching between visits.
 */
import type { DatasetEntry } from '../../protocol/ingest-api';
import type { TextFile } from '../../protocol/eval-api';

/** The catalogue ids of the four sets AlpaGasus judged on, in the paper's order. */
export const JUDGE_SET_IDS = ['koala-test', 'vicuna-test', 'wizardlm-test', 'self-instruct-test'];

/** The four AlpaGasus sets of the catalogue that name one file, in the paper's order. */
export function judgeSets(entries: DatasetEntry[]): DatasetEntry[] {
  const one = (e: DatasetEntry) => (e.github?.files.length ?? 0) === 1 || (!e.github && e.hub?.files?.length === 1);
  return JUDGE_SET_IDS.map((id) => entries.find((e) => e.id === id && one(e))).filter((e): e is DatasetEntry => !!e);
}

/** Where a set's one file is read from, pinned. */
export function testSetUrl(e: DatasetEntry): string {
  if (e.github) return `https://raw.githubusercontent.com/${e.github.repo}/${e.github.commit}/${e.github.files[0]}`;
  if (e.hub?.files?.length) return `https://huggingface.co/datasets/${e.hub.repo}/resolve/${e.hub.revision}/${e.hub.files[0]}`;
  throw new Error(`'${e.id}' names no file`);
}

export async function fetchTestSet(e: DatasetEntry, signal?: AbortSignal, fetchFn: typeof fetch = fetch): Promise<TextFile> {
  const url = testSetUrl(e);
  let res: Response;
  try {
    res = await fetchFn(url, { signal });
  } catch (err) {
    if ((err as Error)?.name === 'AbortError') throw err;
    throw Object.assign(new Error(`The ${e.name} could not be downloaded (network). Check the connection, or pick a file of predictions instead.`), { details: `${url}: ${String(err)}` });
  }
  if (!res.ok) throw Object.assign(new Error(`The ${e.name} could not be downloaded (HTTP ${res.status}).`), { details: url });
  return { name: `${e.id}.jsonl`, text: await res.text() };
}
