/**
 * Shared pieces of the PEFT parity tests: load a case's model and one of its PEFT adapter folders (lora/, ia3/,
 * prompt_tuning/, prefix_tuning/) through our adapter-io, the fixture batch, HF-layout views of LoRA gradients, and
 * the tagged closeness check and greedy-generation record the family parity tests share.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import * as path from 'node:path';
import { tf } from '../../src/kernels/tf';
import { transpose2d } from '../../src/model/load';
import { loadModel } from '../../src/model/load';
import type { Model } from '../../src/model/types';
import { folderSource } from '../../src/node/fs-source';
import type { Adapter } from '../../src/peft/adapter';
import { loadAdapter } from '../../src/peft/adapter-io';
import { caseDir, compareClose, flat, inputs } from '../helpers/fixtures';

export const ATOL = 1e-4, RTOL = 1e-4;
export const GRAD_ATOL = 1e-5, GRAD_RTOL = 1e-3;

export async function caseModel(c: string): Promise<Model> {
  return loadModel(folderSource(path.join(caseDir(c), 'model')));
}

export function adapterFiles(c: string, sub: string): { config: string; weights: Uint8Array } {
  const dir = path.join(caseDir(c), sub);
  return { config: readFileSync(path.join(dir, 'adapter_config.json'), 'utf8'), weights: new Uint8Array(readFileSync(path.join(dir, 'adapter_model.safetensors'))) };
}

export async function caseAdapter(model: Model, c: string, sub: string): Promise<Adapter> {
  return loadAdapter(model, adapterFiles(c, sub));
}

/** The fixture batch (B=2, T=12) as forward inputs, plus labels. */
export function batch(c: string) {
  const inp = inputs(c);
  return { ids: flat(inp.input_ids), B: 2, T: 12, attentionMask: flat(inp.attention_mask), labels: flat(inp.labels) };
}

/** keep(i) for a flat (B, T, V) array: only positions where mask == 1. */
export const unmasked = (mask: Int32Array, V: number) => (i: number) => mask[Math.floor(i / V)] === 1;

/** A gradient in our layout -> PEFT's layout for the same key (A [in,r] -> [r,in], B [r,out] -> [out,r]). */
export async function hfGrad(key: string, g: tf.Tensor): Promise<Float32Array> {
  const data = (await g.data()) as Float32Array;
  if (/lora_[AB]\.weight$/.test(key)) {
    const [rows, cols] = g.shape as [number, number];
    return transpose2d(data, rows, cols);
  }
  return Float32Array.from(data);
}

/** A tensor's values, disposing it. */
export async function take(t: tf.Tensor): Promise<Float32Array> {
  const d = (await t.data()) as Float32Array;
  t.dispose();
  return d;
}

/** An expect-close check that logs "[tag] label: max |Δ|" for the closing notes, then asserts within atol + rtol·|want|. */
export function closeCheck(tag: string): (label: string, got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number, keep?: (i: number) => boolean) => void {
  return (label, got, want, atol, rtol, keep) => {
    const d = compareClose(got, want, atol, rtol, keep);
    console.log(`[${tag}] ${label}: max |Δ| ${d.maxAbs.toExponential(2)}`);
    expect(d.worst, `${label}: max |Δ| ${d.maxAbs} at ${d.at}`).toBeLessThanOrEqual(0);
  };
}

/** generation.json: greedy tokens with and without the KV cache, single and left-padded batch prompts. */
export interface Generation {
  new_tokens: number[][];
  new_tokens_use_cache: number[][];
  batch_new_tokens: number[][];
  batch_new_tokens_use_cache: number[][];
}
