/**
 * The dataset catalogue (`datasets-manifest.json`): types, and a validator that checks a parsed manifest field by
 * field and names the first bad one by its path (`datasets[3] ("gpt4all").tags.lang[0]: ...`). Tags follow the
 * Alpaca-CoT README (after yaodongC/awesome-instruction-dataset): Lang EN/CN/ML, Task MT/TS, Gen HG/SI/MIX/COL.
 * Not handled: reading the file (node/ and ui/ do, then call validateManifest) and fetching (data/hub).
 */
import { SHAPES } from './converters';
import type { Shape } from './converters';
import type { HubFileRef } from './hub/url';
import { mixStrategies, type MixSpec } from './mix';

export const LANG_TAGS = ['EN', 'CN', 'ML'] as const;
export const TASK_TAGS = ['MT', 'TS'] as const;
export const GEN_TAGS = ['HG', 'SI', 'MIX', 'COL'] as const;
export type LangTag = (typeof LANG_TAGS)[number];
export type TaskTag = (typeof TASK_TAGS)[number];
export type GenTag = (typeof GEN_TAGS)[number];
export type Tag = LangTag | TaskTag | GenTag;

export const TAG_MEANING: Record<Tag, string> = {
  EN: 'English instructions',
  CN: 'Chinese instructions',
  ML: 'multilingual instructions',
  MT: 'multi-task',
  TS: 'task-specific',
  HG: 'human-generated',
  SI: 'self-instruct (model-generated)',
  MIX: 'human and machine generated',
  COL: 'a collection of datasets',
};

export interface HubLocation {
  repo: string;
  repoType: 'dataset';
  /** A branch, tag or commit; pin a commit where one is known. */
  revision: string;
  /** Paths inside the repo, or a glob over them ('xP3/*\/merged_*.json'); at least one of the two. */
  files?: string[];
  glob?: string;
  split: string;
  /** True when this exact path was seen in a listing of the repo. */
  verified: boolean;
  note?: string;
}

export interface GithubLocation {
  repo: string;
  commit: string;
  files: string[];
  verified: boolean;
  note?: string;
}

export interface DatasetEntry {
  id: string;
  name: string;
  /** The row of the Alpaca-CoT collection table (or 'AlpaGasus', 'eval'). */
  collection: string;
  role: 'train' | 'eval';
  hub?: HubLocation;
  github?: GithubLocation;
  format: Shape;
  /** Source key -> unified field renames, passed to the converter. */
  fields?: Partial<Record<'instruction' | 'input' | 'output' | 'messages', string>>;
  tags: { lang: LangTag[]; task: TaskTag[]; gen: GenTag[] };
  /** Record count from the collection table; null when not stated. */
  records: number | null;
  recordsApprox?: boolean;
  /** Total size in bytes as listed (approximate for hub listings in MB/GB); null when unknown. */
  bytes: number | null;
  license: string;
  /** Upstream project or paper page. */
  source: string;
  note?: string;
}

export interface Manifest {
  version: 1;
  collection: { repo: string; source: string; tagRules: string };
  datasets: DatasetEntry[];
  mixes: (MixSpec & { prebuilt?: { repo: string; file: string } })[];
}

export class ManifestError extends Error {
  override name = 'ManifestError';
}

type Obj = Record<string, unknown>;

function fail(path: string, msg: string): never {
  throw new ManifestError(`datasets-manifest: ${path}: ${msg}`);
}
function obj(v: unknown, path: string): Obj {
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(path, `expected an object, got ${Array.isArray(v) ? 'an array' : JSON.stringify(v)}`);
  return v as Obj;
}
function str(o: Obj, k: string, path: string, optional = false): string | undefined {
  const v = o[k];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string' || v.trim() === '') fail(`${path}.${k}`, v === undefined ? 'missing' : `expected a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}
function strList(o: Obj, k: string, path: string, allowed?: readonly string[], optional = false): string[] | undefined {
  const v = o[k];
  if (v === undefined && optional) return undefined;
  if (!Array.isArray(v)) fail(`${path}.${k}`, v === undefined ? 'missing' : 'expected a list');
  v.forEach((x, i) => {
    if (typeof x !== 'string' || !x) fail(`${path}.${k}[${i}]`, `expected a string, got ${JSON.stringify(x)}`);
    if (allowed && !allowed.includes(x)) fail(`${path}.${k}[${i}]`, `"${x}" is not one of ${allowed.join(', ')}`);
  });
  return v as string[];
}
function bool(o: Obj, k: string, path: string): boolean {
  if (typeof o[k] !== 'boolean') fail(`${path}.${k}`, o[k] === undefined ? 'missing (true when the path was seen, false if not)' : 'expected true or false');
  return o[k] as boolean;
}
function count(o: Obj, k: string, path: string): number | null {
  const v = o[k];
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(`${path}.${k}`, v === undefined ? 'missing (use null when unknown)' : `expected a non-negative integer or null, got ${JSON.stringify(v)}`);
  return v;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function validateEntry(v: unknown, i: number): DatasetEntry {
  const o = obj(v, `datasets[${i}]`);
  const id = str(o, 'id', `datasets[${i}]`)!;
  const path = `datasets[${i}] ("${id}")`;
  if (!ID.test(id)) fail(`${path}.id`, 'use letters, digits, ".", "_" or "-"');
  str(o, 'name', path);
  str(o, 'collection', path);
  if (o.role !== 'train' && o.role !== 'eval') fail(`${path}.role`, `expected "train" or "eval", got ${JSON.stringify(o.role)}`);
  if (!o.hub && !o.github) fail(path, 'needs a "hub" or a "github" location');
  if (o.hub !== undefined) {
    const h = obj(o.hub, `${path}.hub`);
    str(h, 'repo', `${path}.hub`);
    if (h.repoType !== 'dataset') fail(`${path}.hub.repoType`, 'expected "dataset"');
    str(h, 'revision', `${path}.hub`);
    const files = strList(h, 'files', `${path}.hub`, undefined, true);
    const glob = str(h, 'glob', `${path}.hub`, true);
    if (!files?.length && !glob) fail(`${path}.hub`, 'needs "files" or a "glob"');
    str(h, 'split', `${path}.hub`);
    bool(h, 'verified', `${path}.hub`);
  }
  if (o.github !== undefined) {
    const g = obj(o.github, `${path}.github`);
    str(g, 'repo', `${path}.github`);
    if (typeof g.commit !== 'string' || !/^[0-9a-f]{40}$/.test(g.commit)) fail(`${path}.github.commit`, 'expected a 40-hex commit');
    if (!strList(g, 'files', `${path}.github`)!.length) fail(`${path}.github.files`, 'is empty');
    bool(g, 'verified', `${path}.github`);
  }
  if (!(SHAPES as unknown[]).includes(o.format)) fail(`${path}.format`, `${JSON.stringify(o.format)} is not one of ${SHAPES.join(', ')}`);
  if (o.fields !== undefined) {
    const f = obj(o.fields, `${path}.fields`);
    for (const k of Object.keys(f)) {
      if (!['instruction', 'input', 'output', 'messages'].includes(k)) fail(`${path}.fields.${k}`, 'expected instruction, input, output or messages');
      str(f, k, `${path}.fields`);
    }
  }
  const t = obj(o.tags, `${path}.tags`);
  if (!strList(t, 'lang', `${path}.tags`, LANG_TAGS)!.length) fail(`${path}.tags.lang`, 'needs at least one of EN, CN, ML');
  strList(t, 'task', `${path}.tags`, TASK_TAGS);
  strList(t, 'gen', `${path}.tags`, GEN_TAGS);
  count(o, 'records', path);
  count(o, 'bytes', path);
  str(o, 'license', path);
  const src = str(o, 'source', path)!;
  if (!/^https?:\/\//.test(src)) fail(`${path}.source`, `expected a URL, got "${src}"`);
  return o as unknown as DatasetEntry;
}

/** Checks a parsed manifest; throws ManifestError naming the first bad field. */
export function validateManifest(raw: unknown): Manifest {
  const m = obj(raw, '(root)');
  if (m.version !== 1) fail('version', `expected 1, got ${JSON.stringify(m.version)}`);
  obj(m.collection, 'collection');
  if (!Array.isArray(m.datasets) || !m.datasets.length) fail('datasets', 'expected a non-empty list');
  const datasets = m.datasets.map(validateEntry);
  const ids = new Set<string>();
  datasets.forEach((d, i) => {
    if (ids.has(d.id)) fail(`datasets[${i}].id`, `"${d.id}" is used twice`);
    ids.add(d.id);
  });
  if (!Array.isArray(m.mixes)) fail('mixes', 'expected a list');
  const names = new Set<string>();
  m.mixes.forEach((x, i) => {
    const o = obj(x, `mixes[${i}]`);
    const name = str(o, 'name', `mixes[${i}]`)!;
    const path = `mixes[${i}] ("${name}")`;
    if (names.has(name)) fail(`${path}.name`, 'is used twice');
    names.add(name);
    if (o.strategy !== undefined && !mixStrategies.includes(o.strategy as never)) fail(`${path}.strategy`, `expected one of ${mixStrategies.join(', ')}`);
    if (!Array.isArray(o.sources) || !o.sources.length) fail(`${path}.sources`, 'expected a non-empty list');
    o.sources.forEach((s, j) => {
      const so = obj(s, `${path}.sources[${j}]`);
      const id = str(so, 'id', `${path}.sources[${j}]`)!;
      if (!ids.has(id)) fail(`${path}.sources[${j}].id`, `"${id}" is not a dataset id in this manifest`);
      for (const k of ['ratio', 'cap']) {
        if (so[k] !== undefined && !(typeof so[k] === 'number' && (so[k] as number) > 0)) fail(`${path}.sources[${j}].${k}`, 'expected a positive number');
      }
    });
  });
  return m as unknown as Manifest;
}

export function findDataset(m: Manifest, id: string): DatasetEntry | undefined {
  return m.datasets.find((d) => d.id === id);
}

/** Entries carrying a tag (any of lang/task/gen), case-insensitively: 'CN', 'cot' never matches (not a tag). */
export function datasetsWithTag(m: Manifest, tag: string): DatasetEntry[] {
  const t = tag.toUpperCase();
  return m.datasets.filter((d) => ([...d.tags.lang, ...d.tags.task, ...d.tags.gen] as string[]).includes(t));
}

export function isTag(s: string): s is Tag {
  return ([...LANG_TAGS, ...TASK_TAGS, ...GEN_TAGS] as string[]).includes(s.toUpperCase());
}

/** The hub refs of an entry's listed files (a glob must be resolved against the listing first). */
export function hubFileRefs(d: DatasetEntry, host?: string): HubFileRef[] {
  if (!d.hub?.files) return [];
  return d.hub.files.map((file) => ({ host, repo: d.hub!.repo, revision: d.hub!.revision, file, repoType: 'dataset' }));
}
