/**
 * Reads one HF golden case (tests/helpers/fixtures.ts) in the Playwright (Node) process: the checkpoint files as
 * base64 for `window.__webift.loadModel`, the inputs, and the reference logits. Not a test file itself.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { caseDir, inputs, tensors, type Inputs } from '../helpers/fixtures';

export interface CaseData {
  files: { name: string; base64: string }[];
  inputs: Inputs;
  /** (B, T, V) reference logits without position_ids. */
  logits: Float32Array;
  /** The same with position_ids_from_mask; absent for bloom (ALiBi has no position ids). */
  logitsPosFromMask: Float32Array | null;
  shape: number[];
}

export async function readCase(name: string): Promise<CaseData> {
  const modelDir = path.join(caseDir(name), 'model');
  const files = readdirSync(modelDir)
    .filter((f) => f === 'config.json' || f.endsWith('.safetensors') || f === 'model.safetensors.index.json')
    .map((f) => ({ name: f, base64: readFileSync(path.join(modelDir, f)).toString('base64') }));
  const out = await tensors(path.join(caseDir(name), 'base_outputs.safetensors'));
  const logits = await out.float32('logits');
  const pos = out.has('logits_position_ids_from_mask') ? (await out.float32('logits_position_ids_from_mask')).data : null;
  return { files, inputs: inputs(name), logits: logits.data, logitsPosFromMask: pos, shape: logits.shape };
}

/** Keeps logits at real tokens only: at padded query rows HF's values are meaningless (fixture README). */
export function realTokens(mask: number[][], T: number, V: number): (i: number) => boolean {
  return (i) => mask[Math.floor(i / (T * V))][Math.floor(i / V) % T] === 1;
}
