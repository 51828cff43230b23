/**
 * Loads an HF checkpoint folder (config.json + model.safetensors, or shards listed in model.safetensors.index.json)
 * from a ModelSource into our weight names and layouts, checking every shape against the config. Streams each matrix
 * in row chunks, quantizing it on the way if asked (layout.ts plans the forms, build-weight.ts builds them).
 * Never fetches: a ModelSource is a folder, a hub cache, or in-memory files supplied by the caller.
 */
import type { MatrixQuantizer } from '../kernels/packed';
import { currentBackend } from '../platform/backend';
import { ConfigError, parseConfig, ropeInvFreq, type ModelConfig } from './config';
import { SafetensorsError, SafetensorsFile, type ByteReader } from './safetensors';
import { BASE_PREFIX } from './weights';
import { planWeights } from './layout';
import { buildWeight } from './build-weight';
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

export interface LoadOptions {
  /** Quantizes frozen matrices as they stream in (quant/'s createQuantizer); absent: every weight stays f32. */
  quantizer?: MatrixQuantizer | null;
  /** Largest single device storage binding, bytes; bigger weights are split in blocks. Default: the backend's. */
  maxBindingBytes?: number;
  /** f32 bytes read per chunk when streaming a matrix. Default 16 MiB. */
  chunkBytes?: number;
}

/** The current backend's largest storage binding (WebGPU's maxStorageBufferBindingSize; 1 GiB for wasm and cpu). */
export function defaultBindingBytes(): number {
  const b = currentBackend();
  return b?.gpu?.maxStorageBufferBindingSize ?? b?.maxBufferBytes ?? 2 ** 30;
}

/**
 * Loads the checkpoint tensor by tensor in the layout planWeights() picks: every matrix is streamed in row chunks,
 * quantized on the way when a quantizer is given, and split in blocks where it exceeds the binding limit.
 */
export async function loadModel(src: ModelSource, opts: LoadOptions = {}): Promise<Model> {
  const config = await readConfig(src);
  const files = await openCheckpoint(src);
  const weights: Weights = new Map();
  const prefix = BASE_PREFIX[config.family];
  const plan = planWeights(config, { quant: opts.quantizer?.spec ?? null, maxBindingBytes: opts.maxBindingBytes ?? defaultBindingBytes() });
  try {
    for (const p of plan) {
      if (p.sharedWith) {
        weights.set(p.ours, weights.get(p.sharedWith)!); // a tied lm_head: the embedding's own head-layout storage
        continue;
      }
      const name = files.has(p.hf) ? p.hf : p.hf.startsWith(prefix) && files.has(p.hf.slice(prefix.length)) ? p.hf.slice(prefix.length) : null;
      if (!name) {
        if (p.optional) continue;
        throw new CheckpointError(`${src.label}: the checkpoint has no tensor '${p.hf}', which a ${config.family} model with this config.json needs`);
      }
      const file = files.get(name)!;
      const have = file.header.tensors[name].shape;
      const hfShape = p.shape.length === 2 && p.hfRowsAre === 'columns' ? [p.shape[1], p.shape[0]] : p.shape;
      if (have.join(',') !== hfShape.join(',')) {
        throw new CheckpointError(`${src.label}: shape mismatch for '${name}': file has [${have}], config.json implies [${hfShape}]`);
      }
      weights.set(p.ours, await buildWeight(p, { file, name, quantizer: opts.quantizer ?? null, chunkBytes: opts.chunkBytes ?? 16 * 2 ** 20 }));
    }
    if (!weights.has('lm_head.w')) throw new CheckpointError(`${src.label}: no lm_head.weight and tie_word_embeddings is false`);
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
