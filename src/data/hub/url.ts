/**
 * How one hub file is addressed: its download URL in the Hugging Face layout (`{host}/{repo}/resolve/{rev}/{file}`,
 * `{host}/datasets/...` for datasets) and its key in a FileCache. Not handled: Spaces, the /api listing endpoints,
 * resolving a branch name to a commit hash (keys use the revision as given, so pin a commit for reproducibility).
 * Layout: huggingface_hub `hf_hub_url` / huggingface.js `downloadFile`.
 */

export type RepoType = 'model' | 'dataset';

export interface HubFileRef {
  /** Scheme + host (+ port), no trailing path: 'https://huggingface.co', 'http://127.0.0.1:8080'. */
  host?: string;
  /** 'org/name' (or a legacy single name such as 'gpt2'). */
  repo: string;
  /** A branch, tag or commit hash: 'main', 'v1.0', 'refs/pr/3', '0a1b2c...'. */
  revision?: string;
  /** Path inside the repo, '/'-separated: 'model.safetensors', 'data/train-00000.parquet'. */
  file: string;
  repoType?: RepoType;
}

export const DEFAULT_HOST = 'https://huggingface.co';
export const DEFAULT_REVISION = 'main';

/** Encodes each '/'-separated segment, keeping the slashes; rejects empty, '.' and '..' segments. */
export function encodePath(p: string, what: string): string {
  const segs = p.split('/');
  for (const s of segs) if (s === '' || s === '.' || s === '..') throw new Error(`${what} '${p}' has an empty, '.' or '..' path segment`);
  return segs.map(encodeURIComponent).join('/');
}

/** The download URL of a hub file. */
export function resolveUrl(ref: HubFileRef): string {
  const host = (ref.host ?? DEFAULT_HOST).replace(/\/+$/, '');
  const prefix = (ref.repoType ?? 'model') === 'dataset' ? '/datasets' : '';
  // A revision such as 'refs/pr/3' is one path segment on the wire: the hub expects its '/' encoded.
  const rev = encodeURIComponent(ref.revision ?? DEFAULT_REVISION);
  return `${host}${prefix}/${encodePath(ref.repo, 'repo')}/resolve/${rev}/${encodePath(ref.file, 'file')}`;
}

/** host:port of a host URL, for keys (the scheme does not change what a file is). */
function hostKey(host: string): string {
  try {
    return new URL(host).host;
  } catch {
    throw new Error(`hub host '${host}' is not a URL (expected e.g. 'https://huggingface.co')`);
  }
}

/**
 * The FileCache key of a hub file: `{host}/{models|datasets}/{repo}/{revision}/{file}`, with repo and revision
 * encoded as single segments so that keys are unambiguous, and the file path kept as is.
 */
export function cacheKey(ref: HubFileRef): string {
  const type = (ref.repoType ?? 'model') === 'dataset' ? 'datasets' : 'models';
  encodePath(ref.file, 'file'); // validation only
  return [hostKey(ref.host ?? DEFAULT_HOST), type, encodeURIComponent(ref.repo), encodeURIComponent(ref.revision ?? DEFAULT_REVISION), ref.file].join('/');
}

/** The key of a "this file does not exist at this revision" marker (HF's `.no_exist`), beside the file keys. */
export function missingKey(ref: HubFileRef): string {
  return `no-exist/${cacheKey(ref)}`;
}
