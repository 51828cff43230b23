/**
 * Importing a PEFT adapter into the session: the two files as bytes (dropped files, a folder, a zip the UI opened)
 * or a hub repo (adapter_config.json + adapter_model.safetensors through the hub source and its Cache API). Every way
 * it can fail (bad JSON, a corrupt safetensors header, target modules the model lacks, another rank or hidden size)
 * becomes ONE user message naming the model the adapter was made for, and the current adapter stays as it was.
 * A differing base_model_name_or_path alone is a warning, not a refusal: PEFT itself loads by shapes.
 */
import { loadAdapter, type Adapter } from '../peft';
import type { ModelSource } from '../model/load';
import { readAll } from '../data/hub/file-cache';
import type { ImportAdapterParams, ImportAdapterResult } from '../protocol/train-api';
import { hubSource } from './model-sources';
import { needModel, userError, type Session } from './session';

export interface ImportDeps {
  /** Default: the worker's Cache-API hub source (model-sources.ts). Tests pass an in-memory one. */
  hub?: (hub: { repo: string; revision?: string; host?: string }) => ModelSource;
}

/** The last path segment, without a host, '@revision', ' (embedded)' or case: what names a model across sources. */
export function modelStem(s: string | null | undefined): string {
  if (!s) return '';
  const t = s.trim().replace(/^https?:\/\/[^/]+\//i, '').replace(/@[^/@]*$/, '').replace(/\s*\(.*\)\s*$/, '').replace(/[\\/]+$/, '');
  return (t.split(/[\\/]/).pop() ?? '').toLowerCase();
}

function baseOf(configText: string): string | null {
  try {
    const v = (JSON.parse(configText) as { base_model_name_or_path?: unknown }).base_model_name_or_path;
    return typeof v === 'string' && v.trim() ? v.trim() : null;
  } catch {
    return null;
  }
}

async function fromHub(p: Extract<ImportAdapterParams, { hub: unknown }>, deps: ImportDeps): Promise<{ config: string; weights: Uint8Array; from: string }> {
  const { repo, revision } = p.hub;
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(repo)) throw userError(`'${repo}' is not a hub repo id (expected owner/name, e.g. tloen/alpaca-lora-7b).`);
  const src = (deps.hub ?? hubSource)(p.hub);
  const at = `${repo}@${revision ?? 'main'}`;
  let config: string | null, weights: Uint8Array | null;
  try {
    config = await src.readText('adapter_config.json');
    const r = config === null ? null : await src.reader('adapter_model.safetensors');
    weights = r && (await readAll(r));
  } catch (e) {
    throw userError(`The adapter ${at} could not be downloaded from the hub: ${(e as Error).message}. The current adapter is kept.`, String((e as Error).stack ?? e));
  }
  if (config === null) throw userError(`${at} has no adapter_config.json, so it is not a PEFT adapter repo. The current adapter is kept.`);
  if (weights === null) throw userError(`${at} has adapter_config.json but no adapter_model.safetensors (only safetensors adapters can be read, not adapter_model.bin). The current adapter is kept.`);
  return { config, weights, from: at };
}

/**
 * Loads the adapter onto the session's model and, only when that fully succeeded, disposes the old one and installs
 * the new; the chat (generate with useAdapter) uses it from then on.
 */
export async function importAdapterInto(session: Session, p: ImportAdapterParams, deps: ImportDeps = {}): Promise<ImportAdapterResult> {
  await session.backend;
  const { model, source } = needModel(session);
  if (session.stop) throw userError('Training is running. Stop it before importing another adapter.');
  const files = 'hub' in p ? await fromHub(p, deps) : { config: p.config, weights: p.weights, from: p.label ?? 'files' };
  const base = baseOf(files.config);
  const differs = base !== null && modelStem(base) !== '' && modelStem(source.label) !== '' && modelStem(base) !== modelStem(source.label);
  let next: Adapter;
  try {
    next = await loadAdapter(model, { config: files.config, weights: files.weights });
  } catch (e) {
    const why = (e as Error).message.replace(/\.$/, '');
    const madeFor = base ? ` It was made for ${base}${differs ? '; load that model first' : ''}.` : '';
    throw userError(`This adapter does not fit the loaded model (${source.label}): ${why}.${madeFor} The current adapter is kept.`, String((e as Error).stack ?? e));
  }
  session.adapter?.dispose();
  session.adapter = next;
  let n = 0;
  for (const v of next.params.values()) n += v.size;
  return {
    method: next.method, trainableParams: n, source: files.from, baseModel: base,
    warning: differs ? `It was trained on ${base}, not on ${source.label}. The shapes match, so it loaded, but its replies may be poor.` : null,
  };
}
