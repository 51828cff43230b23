/**
 * `webift data <list|show|convert|mix|pull|filter>`: the catalogue, converters and mixes on local files. `pull` and
 * `filter` live in data-pull.ts / data-filter.ts (loaded lazily; cli.ts dispatches the subcommands). Bad input (a malformed file or record, an unknown
 * format or id) exits 2 with one line naming the first bad record; `--skip-bad` keeps the good records instead and
 * lists the rejected ones on stderr.
 */
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { convert, ConvertError, SHAPES, type ConvertResult, type Shape } from '../../data/converters';
import { datasetsWithTag, findDataset, isTag, ManifestError, validateManifest, type DatasetEntry, type Manifest } from '../../data/manifest';
import { MixError, mixRecords, resolveMix, type MixStrategy, mixStrategies } from '../../data/mix';
import type { UnifiedRecord } from '../../data/records';
import { bool, JSON_FLAG, num, parse, str, type FlagSpec } from '../args';
import type { Command } from '../command';
import { writeFileAtomic } from '../atomic';
import { UsageError } from '../errors';

const MANIFEST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../datasets-manifest.json');

export function loadManifest(file = MANIFEST): Manifest {
  try {
    return validateManifest(JSON.parse(readFileSync(file, 'utf8')));
  } catch (e) {
    throw new UsageError(e instanceof ManifestError ? e.message : `${file}: ${(e as Error).message}`);
  }
}

const tagsOf = (d: DatasetEntry) => [...d.tags.lang, ...d.tags.task, ...d.tags.gen].join(' ');
const verifiedOf = (d: DatasetEntry) => (d.hub?.verified || d.github?.verified ? 'yes' : 'no');

const LIST_FLAGS: FlagSpec = {
  tag: { type: 'string', value: 'tag', help: 'only the entries with this tag: EN, CN, ML, MT, TS, HG, SI, MIX or COL' },
  json: JSON_FLAG,
};

async function listCmd(argv: string[]): Promise<number> {
  const p = parse(argv, LIST_FLAGS);
  const m = loadManifest();
  const tag = str(p, 'tag');
  if (tag !== undefined && !isTag(tag)) throw new UsageError(`unknown tag '${tag}' (tags: EN, CN, ML, MT, TS, HG, SI, MIX, COL)`);
  const list = tag ? datasetsWithTag(m, tag) : m.datasets;
  if (bool(p, 'json')) {
    process.stdout.write(`${JSON.stringify(list.map((d) => ({ id: d.id, name: d.name, tags: d.tags, records: d.records, format: d.format, license: d.license, verified: verifiedOf(d) === 'yes' })))}\n`);
    return 0;
  }
  const rows = list.map((d) => [d.id, tagsOf(d), d.records === null ? '?' : `${d.recordsApprox ? '~' : ''}${d.records}`, d.format, verifiedOf(d), d.name]);
  const head = ['id', 'tags', 'records', 'format', 'verified', 'name'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) process.stdout.write(`${r.map((c, i) => (i < r.length - 1 ? c.padEnd(w[i]) : c)).join('  ')}\n`);
  return 0;
}

const SHOW_FLAGS: FlagSpec = { json: { type: 'boolean', help: 'the manifest entry as one line of JSON' } };

async function showCmd(argv: string[]): Promise<number> {
  const p = parse(argv, SHOW_FLAGS);
  const id = p.positionals[0];
  if (!id) throw new UsageError('data show: give a dataset id (see webift data list)');
  const m = loadManifest();
  const d = findDataset(m, id);
  const mix = m.mixes.find((x) => x.name === id);
  if (!d && !mix) throw new UsageError(`data show: no dataset or mix '${id}' in the manifest (see webift data list)`);
  if (bool(p, 'json') || !d) {
    process.stdout.write(`${JSON.stringify(d ?? mix, null, bool(p, 'json') ? undefined : 2)}\n`);
    return 0;
  }
  const loc = (name: string, l?: { repo: string; verified: boolean; files?: string[]; glob?: string; note?: string }, rev?: string) =>
    l ? `${name}: ${l.repo}@${rev} ${l.files?.join(', ') ?? l.glob} (${l.verified ? 'verified' : 'NOT verified'}${l.note ? `: ${l.note}` : ''})\n` : '';
  process.stdout.write(
    `${d.id}: ${d.name}\n  collection ${d.collection}, ${d.role}, format ${d.format}, tags ${tagsOf(d)}\n` +
      `  records ${d.records ?? 'unknown'}${d.recordsApprox ? ' (approx.)' : ''}, size ${d.bytes === null ? 'unknown' : `${(d.bytes / 1e6).toFixed(1)} MB`}\n` +
      `  licence ${d.license}\n  source ${d.source}\n  ${loc('hub', d.hub, d.hub?.revision)}  ${loc('github', d.github, d.github?.commit.slice(0, 10))}` +
      (d.note ? `  note: ${d.note}\n` : ''),
  );
  return 0;
}

function toJsonl(records: UnifiedRecord[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : '');
}

async function convertFile(file: string, format: Shape | 'auto', fields: DatasetEntry['fields'] | undefined, skipBad: boolean): Promise<ConvertResult> {
  if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
  let r: ConvertResult;
  try {
    r = await convert(await fsp.readFile(file), format, { label: file, fields });
  } catch (e) {
    if (e instanceof ConvertError) throw new UsageError(e.message);
    throw e;
  }
  if (!r.records.length) {
    const first = r.rejected[0];
    throw new UsageError(`${file}: no record could be converted as ${r.shape}${first ? ` (${first.where}: ${first.reason}; ${r.rejected.length} rejected)` : ''}`);
  }
  if (r.rejected.length && !skipBad) {
    const [first] = r.rejected;
    throw new UsageError(`${file}: ${first.where}: ${first.reason} (${r.rejected.length} of ${r.rows} rows rejected as ${r.shape}; --skip-bad keeps the ${r.accepted} good ones)`);
  }
  return r;
}

function report(file: string, r: ConvertResult): void {
  process.stderr.write(`${file}: ${r.shape}, ${r.rows} rows -> ${r.records.length} records, ${r.rejected.length} rejected\n`);
  for (const x of r.rejected.slice(0, 10)) process.stderr.write(`  rejected ${x.where}: ${x.reason}\n`);
  if (r.rejected.length > 10) process.stderr.write(`  ... and ${r.rejected.length - 10} more (--json lists all)\n`);
}

const SKIP_BAD = { type: 'boolean', help: 'keep the good records and list the rejected ones on stderr, instead of stopping at the first bad one' } as const;

const CONVERT_FLAGS: FlagSpec = {
  format: { type: 'string', value: ['auto', ...SHAPES].join('|'), default: 'auto', help: "the input's shape; auto sniffs it" },
  out: { type: 'string', value: 'file.jsonl', help: 'write the unified records here (default: stdout)' },
  'skip-bad': SKIP_BAD,
  json: { type: 'boolean', help: 'a JSON summary (rows, records, rejected) on stdout with --out, else on stderr' },
};

async function convertCmd(argv: string[]): Promise<number> {
  const p = parse(argv, CONVERT_FLAGS);
  const format = str(p, 'format') ?? 'auto';
  if (format !== 'auto' && !(SHAPES as string[]).includes(format)) throw new UsageError(`unknown format '${format}' (formats: auto, ${SHAPES.join(', ')})`);
  const file = p.positionals[0];
  if (!file || p.positionals.length > 1) throw new UsageError('data convert: give exactly one input file');
  const r = await convertFile(file, format as Shape | 'auto', undefined, bool(p, 'skip-bad'));
  const out = str(p, 'out');
  if (out) await writeFileAtomic(out, toJsonl(r.records));
  else process.stdout.write(toJsonl(r.records));
  const summary = { file, shape: r.shape, rows: r.rows, records: r.records.length, rejected: r.rejected, out: out ?? null };
  if (bool(p, 'json') && out) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else if (bool(p, 'json')) process.stderr.write(`${JSON.stringify(summary)}\n`);
  else report(file, r);
  return 0;
}

function sourceFiles(p: ReturnType<typeof parse>, ids: string[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const s of (p.values.source as unknown as string[] | undefined) ?? []) {
    const at = s.indexOf('=');
    if (at < 1) throw new UsageError(`--source '${s}': expected id=FILE`);
    files[s.slice(0, at)] = s.slice(at + 1);
  }
  const dir = str(p, 'sources-dir');
  for (const id of ids) {
    if (files[id] || !dir) continue;
    const hit = ['.jsonl', '.json', '.tsv', '.csv', '.parquet'].map((e) => path.join(dir, id + e)).find((f) => existsSync(f));
    if (hit) files[id] = hit;
  }
  const missing = ids.filter((id) => !files[id]);
  if (missing.length) throw new UsageError(`data mix: no local file for ${missing.join(', ')} (pass --source ${missing[0]}=FILE or --sources-dir DIR holding ${missing[0]}.jsonl)`);
  return files;
}

const MIX_FLAGS: FlagSpec = {
  out: { type: 'string', value: 'file.jsonl', help: 'where to write the mixed records' },
  source: { type: 'string', value: 'id=FILE', multiple: true, help: "a local file holding that dataset's records" },
  'sources-dir': { type: 'string', value: 'dir', help: 'a folder holding <id>.jsonl (or .json, .tsv, .csv, .parquet) for each dataset not given by --source' },
  'skip-bad': SKIP_BAD,
  strategy: { type: 'string', value: mixStrategies.join('|'), help: "how the sources are combined (default: the mix's own)" },
  seed: { type: 'string', value: 'int', help: "seed of the sampling and shuffling (default: the mix's own)" },
  json: JSON_FLAG,
};

async function mixCmd(argv: string[]): Promise<number> {
  const p = parse(argv, MIX_FLAGS);
  const out = str(p, 'out', true);
  const m = loadManifest();
  let spec;
  try {
    spec = resolveMix(m, p.positionals);
  } catch (e) {
    throw e instanceof MixError ? new UsageError(`data mix: ${e.message}`) : e;
  }
  const strategy = str(p, 'strategy');
  if (strategy !== undefined && !mixStrategies.includes(strategy as MixStrategy)) throw new UsageError(`--strategy must be one of ${mixStrategies.join(', ')}, got '${strategy}'`);
  spec = { ...spec, strategy: (strategy as MixStrategy | undefined) ?? spec.strategy, seed: num(p, 'seed', { int: true, min: 0 }) ?? spec.seed };
  const ids = [...new Set(spec.sources.map((s) => s.id))];
  const files = sourceFiles(p, ids);
  const records: Record<string, UnifiedRecord[]> = {};
  for (const id of ids) {
    const d = findDataset(m, id)!;
    const file = files[id];
    // A local file may be in another shape than the hub's (a raw BELLE sample for belle-0.5m): sniff it, unless the
    // entry renames fields, which only its own format knows.
    const r = await convertFile(file, d.fields ? d.format : 'auto', d.fields, bool(p, 'skip-bad'));
    if (!bool(p, 'json')) report(file, r);
    records[id] = r.records;
  }
  const { records: mixed, plan } = mixRecords(spec, records);
  await writeFileAtomic(out, toJsonl(mixed));
  if (bool(p, 'json')) process.stdout.write(`${JSON.stringify({ mix: spec.name, strategy: plan.strategy, seed: plan.seed, records: mixed.length, breakdown: plan.breakdown, out })}\n`);
  else {
    process.stderr.write(`mix ${spec.name} (${plan.strategy}, seed ${plan.seed}): ${mixed.length} records -> ${out}\n`);
    for (const b of plan.breakdown) process.stderr.write(`  ${b.id}: ${b.taken} taken of ${b.available}${b.capped < b.available ? ` (cap ${b.capped})` : ''}${b.unique < b.taken ? `, ${b.unique} distinct` : ''}\n`);
  }
  return 0;
}

export const command: Command = {
  name: 'data',
  summary: 'the Alpaca-CoT dataset catalogue, format converters, mixes, hub pulls and AlpaGasus filtering',
  subcommands: {
    list: async () => ({ name: 'data list', summary: 'the datasets in datasets-manifest.json, with their tags', usage: '[flags]', flags: LIST_FLAGS, run: listCmd }),
    show: async () => ({ name: 'data show', summary: "one dataset's (or mix's) manifest entry", usage: '<id> [flags]', flags: SHOW_FLAGS, run: showCmd }),
    convert: async () => ({ name: 'data convert', summary: 'a dataset file in a known shape -> unified JSON Lines records', usage: 'IN [flags]', flags: CONVERT_FLAGS, run: convertCmd }),
    mix: async () => ({ name: 'data mix', summary: 'a mix of several datasets, by a named mix or by ids with ratios and caps', usage: '<name | id[:ratio][@cap] ...> --out <file.jsonl> (--source id=FILE ... | --sources-dir <dir>) [flags]', flags: MIX_FLAGS, run: mixCmd }),
    pull: async () => (await import('./data-pull')).command,
    filter: async () => (await import('./data-filter')).command,
  },
};
