/**
 * `--model owner/name[@revision]`: a ModelSource over the hub (WEBIFT_HUB_HOST, default huggingface.co) cached in
 * the filesystem cache (WEBIFT_CACHE_DIR), with per-file download progress on stderr. HF_TOKEN is sent if set.
 */
import { envVar } from '../platform/env';
import { hubModelSource } from '../data/hub/hub-source';
import type { ModelSource } from '../model/load';
import { fsFileCache } from './fs-file-cache';

export function hubSourceFromSpec(spec: string, quiet = false): ModelSource {
  const [repo, revision] = spec.split('@');
  return hubModelSource({
    host: envVar('WEBIFT_HUB_HOST'),
    repo,
    revision: revision || undefined,
    cache: fsFileCache(),
    token: envVar('HF_TOKEN'),
    onProgress: quiet
      ? undefined
      : (file, p) => {
          if (p.total && (p.loaded === p.total || p.loaded % (1 << 22) < 65536)) process.stderr.write(`\rdownloading ${file}: ${((100 * p.loaded) / p.total).toFixed(0)}%${p.loaded === p.total ? '\n' : ''}`);
        },
  });
}
