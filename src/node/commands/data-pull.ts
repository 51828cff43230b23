/**
 * `webift data pull <id|owner/name> [--host URL] [--revision R] [--files a,b | --glob G] [--dir DIR] [--token-env
 * HF_TOKEN] [--json]`: streams a dataset's files from a hub-layout host into the filesystem ShardStore (WEBIFT_DATA_DIR,
 * default ~/.cache/webift/shards), resuming partial files, refusing what would not fit on the disk. An id is looked
 * up in datasets-manifest.json; anything with a '/' that is not an id is taken as a hub dataset repo.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListFilesError } from '../../data/hub/list-files';
import { findDataset, validateManifest } from '../../data/manifest';
import { CorruptShardError, pullShards, PullError, QuotaError, type PullProgress, type ShardSpec } from '../../data/shards';
import { DEFAULT_HOST } from '../../data/hub/url';
import { envVar, storageQuota } from '../../platform/env';
import { bool, JSON_FLAG, num, parse, str, type FlagSpec } from '../args';
import type { Command } from '../command';
import { UsageError } from '../errors';
import { defaultShardDir, fsShardStore, shardFilePath } from '../fs-shard-store';

const MANIFEST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../datasets-manifest.json');

/** The manifest entry's hub location, or the argument as a repo id; flags override either. */
async function resolveSpec(target: string, flags: { revision?: string; files?: string[]; glob?: string }): Promise<ShardSpec & { id: string | null }> {
  const manifest = validateManifest(JSON.parse(await fsp.readFile(MANIFEST, 'utf8')));
  const entry = findDataset(manifest, target);
  const explicit = flags.files || flags.glob ? { files: flags.files, glob: flags.glob } : null;
  if (entry) {
    if (!entry.hub) throw new UsageError(`dataset '${target}' is not on the hub (it lives at ${entry.github?.repo ?? entry.source}); nothing to pull`);
    return { id: entry.id, repo: entry.hub.repo, revision: flags.revision ?? entry.hub.revision, ...(explicit ?? { files: entry.hub.files, glob: entry.hub.glob }) };
  }
  if (!/^[\w.-]+\/[\w.-]+$/.test(target)) {
    const near = manifest.datasets.filter((d) => d.id.includes(target) || target.includes(d.id)).slice(0, 5).map((d) => d.id);
    throw new UsageError(`unknown dataset '${target}': not a manifest id${near.length ? ` (did you mean ${near.join(', ')}?)` : ''} and not an owner/name repo (see \`webift data list\`)`);
  }
  return { id: null, repo: target, revision: flags.revision ?? 'main', ...explicit };
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

export const PULL_FLAGS: FlagSpec = {
  host: { type: 'string', value: 'url', default: DEFAULT_HOST, help: 'the hub-layout host to pull from (scheme and host)' },
  revision: { type: 'string', value: 'rev', help: "a branch, tag or commit (default: the manifest's pinned revision, else main)" },
  files: { type: 'string', value: 'a,b', help: "only these files of the repo (default: the manifest's list)" },
  glob: { type: 'string', value: 'pattern', help: "only the repo's files matching this glob, e.g. 'CoT_data/*.json'" },
  dir: { type: 'string', value: 'dir', help: 'where the shards are stored (default: WEBIFT_DATA_DIR, else ~/.cache/webift/shards)' },
  'token-env': { type: 'string', value: 'VAR', default: 'HF_TOKEN', help: 'the environment variable holding a hub token (never a flag)' },
  retries: { type: 'string', value: 'int', default: 2, help: 'retries of a failed or dropped download, each resuming where it stopped' },
  json: JSON_FLAG,
};

export async function dataPullCommand(argv: string[]): Promise<number> {
  const p = parse(argv, PULL_FLAGS);
  const json = bool(p, 'json');
  if (p.positionals.length !== 1) throw new UsageError('usage: webift data pull <id|owner/name> [--host URL] [--revision R] [--files a,b | --glob G] [--dir DIR] [--json]');
  const host = str(p, 'host');
  if (host !== undefined && !/^https?:\/\/[^/]+\/?$/.test(host)) throw new UsageError(`--host must be a scheme and host such as https://huggingface.co, got '${host}'`);
  const files = str(p, 'files')?.split(',').map((s) => s.trim()).filter(Boolean);
  if (files && !files.length) throw new UsageError('--files is empty');
  const spec = await resolveSpec(p.positionals[0], { revision: str(p, 'revision'), files, glob: str(p, 'glob') });
  const tokenEnv = str(p, 'token-env');
  const token = tokenEnv ? envVar(tokenEnv) : envVar('HF_TOKEN');
  if (tokenEnv && !token) throw new UsageError(`--token-env ${tokenEnv}: that environment variable is not set`);
  const retries = num(p, 'retries', { int: true, min: 0 }) ?? 2;

  const dir = path.resolve(str(p, 'dir') ?? defaultShardDir());
  await fsp.mkdir(dir, { recursive: true });
  const store = fsShardStore(dir);
  let lastPrint = 0;
  const onProgress = (e: PullProgress) => {
    if (json || (Date.now() - lastPrint < 1000 && e.fileLoaded !== e.fileTotal)) return;
    lastPrint = Date.now();
    process.stderr.write(`[${e.filesDone}/${e.filesTotal}] ${e.file} ${mb(e.fileLoaded)}${e.fileTotal !== null ? ` / ${mb(e.fileTotal)}` : ''} (total ${mb(e.bytesDone)} / ${mb(e.bytesTotal)})\n`);
  };
  let r;
  try {
    r = await pullShards({ ...spec, host, store, token, retries, quota: () => storageQuota(dir), onProgress });
  } catch (e) {
    if (e instanceof PullError || e instanceof QuotaError || e instanceof CorruptShardError) throw new UsageError(e.message);
    if (e instanceof ListFilesError && e.status !== null && e.status < 500) throw new UsageError(e.message);
    throw e;
  }
  const shards = r.shards.map((s) => ({ ...s, file: shardFilePath(dir, s.key) }));
  if (json) process.stdout.write(`${JSON.stringify({ id: spec.id, repo: r.repo, revision: r.revision, dir, bytes: r.bytes, downloadedBytes: r.downloadedBytes, shards })}\n`);
  else {
    const cached = shards.filter((s) => s.status === 'cached').length;
    process.stderr.write(`pulled ${r.repo}@${r.revision}: ${shards.length} files, ${mb(r.bytes)} (${mb(r.downloadedBytes)} downloaded${cached ? `, ${cached} already here` : ''}) into ${dir}\n`);
    for (const s of shards) process.stdout.write(`${s.file}\n`);
  }
  return 0;
}

export const command: Command = {
  name: 'data pull',
  summary: "download a dataset's files from the hub into the local shard store (resumable, quota-aware)",
  usage: '<id|owner/name> [flags]',
  flags: PULL_FLAGS,
  notes: ['<id> is an entry of datasets-manifest.json (webift data list); any other owner/name is taken as a hub dataset repo.'],
  run: dataPullCommand,
};
