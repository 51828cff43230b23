/**
 * The one LoRA run the demo and the classroom share: load webift-tiny from public/models, tokenize instruction
 * records with the Alpaca template, attach LoRA (all linear layers; settings from src/experiment/classroom.ts, which the
 * app's Classroom presets carry too), train with src/train's train(), and report
 * the loss per step. Also the JSONL readers for public/data/synthetic. Node only (reads files).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadModel } from '../../src/model/load';
import type { Model } from '../../src/model/types';
import { attachAdapter, LORA_DEFAULTS, type Adapter, type LoraConfig } from '../../src/peft';
import { tokenizeRecords } from '../../src/data/tokenize-example';
import { BatchSource } from '../../src/data/batches';
import { resolveTrainConfig } from '../../src/train/config';
import { train } from '../../src/train/trainer';
import { objective } from '../../src/train/objective';
import type { SyntheticRecord } from '../../src/data/synthetic/record';
import { CLASSROOM } from '../../src/experiment/classroom';
import type { TextTokenizer } from '../../src/tokenizer/tokenizer';
import { folderSource } from '../../src/node/fs-source';
import { tokenizerFrom } from '../../src/node/model-tokenizer';

export const ROOT = path.join(import.meta.dirname, '..', '..');
export const MODEL_DIR = path.join(ROOT, 'public', 'models', 'webift-tiny');
export const DATA_DIR = path.join(ROOT, 'public', 'data', 'synthetic');

export function readJsonl(file: string): SyntheticRecord[] {
  return readFileSync(path.join(DATA_DIR, file), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

export async function openTiny(dir = MODEL_DIR): Promise<{ model: Model; tok: TextTokenizer }> {
  const src = folderSource(dir);
  const model = await loadModel(src);
  const tok = await tokenizerFrom(src);
  if (!tok) throw new Error(`${dir} has no tokenizer.json (run npm run pretrain-tiny)`);
  return { model, tok };
}

export interface LoraRunOptions {
  steps: number;
  seed: number;
  lr?: number;
  batchSize?: number;
  r?: number;
  onStep?: (step: number, loss: number) => void;
}

/** Attaches LoRA to `model` and trains it on `records`; returns the adapter (still attached) and the losses. */
export async function loraRun(model: Model, tok: TextTokenizer, records: SyntheticRecord[], o: LoraRunOptions): Promise<{ adapter: Adapter; losses: number[] }> {
  const config = resolveTrainConfig({ lr: o.lr ?? CLASSROOM.lr, maxSteps: o.steps, batchSize: o.batchSize ?? CLASSROOM.batchSize, gradAccum: 1, cutoffLen: CLASSROOM.cutoffLen, warmupSteps: CLASSROOM.warmupSteps, scheduler: CLASSROOM.scheduler, evalSplit: 0, evalEvery: 0, checkpointEvery: 0, seed: o.seed });
  const { examples } = tokenizeRecords(records, tok, { cutoffLen: config.cutoffLen });
  const data = new BatchSource(examples, { batchSize: config.batchSize, padId: tok.padTokenId ?? 0, seed: o.seed });
  const r = o.r ?? CLASSROOM.r;
  const lora: LoraConfig = { ...LORA_DEFAULTS, r, lora_alpha: (CLASSROOM.alpha / CLASSROOM.r) * r, target_modules: [...CLASSROOM.targetModules] };
  const adapter = attachAdapter(model, lora, { seed: o.seed });
  const losses: number[] = [];
  for await (const e of train({ config, params: adapter.params, loss: objective(model, adapter), data })) {
    if (e.kind === 'step') {
      losses.push(e.loss);
      o.onStep?.(e.step, e.loss);
    }
    if (e.kind === 'error') throw new Error(e.message);
  }
  return { adapter, losses };
}
