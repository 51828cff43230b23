/**
 * Loads an HF checkpoint folder (config.json + model.safetensors, or shards listed in model.safetensors.index.json)
 * from a ModelSource into our weight names and layouts, checking every shape against the config.
 * Never fetches: a ModelSource is a folder, a hub cache, or in-memory files supplied by the caller.
 */
import { tf } from '../kernels/tf';
import { ConfigError, parseConfig, ropeInvFreq, type ModelConfig } from './config';
import { SafetensorsError, SafetensorsFile, type ByteReader } from './safetensors';
import { BASE_PREFIX, expandTable } from './weights';
import type { Model, Weights } from './types';

export interface ModelSource {
  /** For messages: a path, a repo id. */
  label: string;
  /** A text file of the checkpoint, or null when absent. */
  readText(name: string): Promise<string | null>;
  /** A byte reader for a binary file, or null when absent. */
  reader(name: string): Promise<ByteReader | null>;
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** Transposes a row-major (rows, cols) matrix on the host. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

export async function readConfig(src: ModelSource): Promise<ModelConfig> {
  const text = await src.readText('config.json');
  if (text === null) throw new CheckpointError(`${src.label}: config.json not found`);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CheckpointError(`${src.label}: config.json is not valid JSON`);
  }
  return parseConfig(raw);
}

/** Opens every safetensors file of the checkpoint and returns HF tensor name -> file. */
export async function openCheckpoint(src: ModelSource): Promise<Map<string, SafetensorsFile>> {
  const index = await src.readText('model.safetensors.index.json');
  const byName = new Map<string, SafetensorsFile>();
  const files = index ? [...new Set(Object.values((JSON.parse(index) as { weight_map: Record<string, string> }).weight_map))] : ['model.safetensors'];
  for (const f of files) {
    const r = await src.reader(f);
    if (!r) throw new CheckpointError(`${src.label}: ${f} not found${index ? ' (listed in model.safetensors.index.json)' : ''}`);
    const file = await SafetensorsFile.open(r, `${src.label}/${f}`);
    for (const n of file.names()) byName.set(n, file);
  }
  return byName;
}

export async function loadModel(src: ModelSource): Promise<Model> {
  const config = await readConfig(src);
  const files = await openCheckpoint(src);
  const weights: Weights = new Map();
  const prefix = BASE_PREFIX[config.family];
  try {
    for (const spec of expandTable(config)) {
      const name = files.has(spec.hf) ? spec.hf : spec.hf.startsWith(prefix) && files.has(spec.hf.slice(prefix.length)) ? spec.hf.slice(prefix.length) : null;
      if (spec.ours === 'lm_head.w' && config.tieEmbeddings) continue; // tied: built from the embedding below
      if (!name) {
        if (spec.optional) continue;
        throw new CheckpointError(`${src.label}: the checkpoint has no tensor '${spec.hf}', which a ${config.family} model with this config.json needs`);
      }
      const t = await files.get(name)!.float32(name);
      const want = spec.shape(config);
      const hfShape = spec.kind === 'linear' ? [want[1], want[0]] : want;
      if (t.shape.join(',') !== hfShape.join(',')) {
        throw new CheckpointError(`${src.label}: shape mismatch for '${name}': file has [${t.shape}], config.json implies [${hfShape}]`);
      }
      const data = spec.kind === 'linear' ? transpose2d(t.data, hfShape[0], hfShape[1]) : t.data;
      weights.set(spec.ours, tf.tensor(data, want, 'float32'));
    }
    if (!weights.has('lm_head.w')) {
      if (!config.tieEmbeddings) throw new CheckpointError(`${src.label}: no lm_head.weight and tie_word_embeddings is false`);
      const e = await files.get([...files.keys()].find((n) => n.endsWith(expandTable(config)[0].hf.slice(prefix.length)))!)!;
      const embName = files.has(expandTable(config)[0].hf) ? expandTable(config)[0].hf : expandTable(config)[0].hf.slice(prefix.length);
      const emb = await e.float32(embName);
      // The head wants (C, V): keep a transposed copy so the matmul needs no transpose flag (ENVIRONMENT.md pitfall 5).
      weights.set('lm_head.w', tf.tensor(transpose2d(emb.data, config.vocabSize, config.hidden), [config.hidden, config.vocabSize], 'float32'));
    }
  } catch (e) {
    for (const t of weights.values()) t.dispose();
    if (e instanceof CheckpointError || e instanceof SafetensorsError || e instanceof ConfigError) throw e;
    throw new CheckpointError(`${src.label}: ${(e as Error).message}`);
  }
  return modelFromWeights(config, weights);
}

/** Wraps already-built weights (random models for benchmarks, converted checkpoints). */
export function modelFromWeights(config: ModelConfig, weights: Weights): Model {
  return {
    config,
    weights,
    invFreq: config.posKind === 'rope' ? ropeInvFreq(config) : null,
    dispose() {
      for (const t of weights.values()) t.dispose();
      weights.clear();
    },
  };
}
