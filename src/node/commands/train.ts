/**
 * `webift train`: fine-tunes a model on a local JSON/JSONL file of unified records with any PEFT method (or full
 * fine-tuning), checkpointing into OUT/checkpoints (resume with --resume), and writes the adapter (PEFT layout) or
 * the full model to OUT atomically. Refuses to start when the memory estimate exceeds the device. Progress on
 * stderr; with --json every TrainEvent is a JSON line on stdout. `--engine llamafactory` hands the run to an installed
 * LLaMA-Factory instead (llamafactory/engine.ts).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { adaloraStepHook, attachAdapter, PeftConfigError } from '../../peft';
import { totalSteps } from '../../train/schedule';
import { RecordsParseError } from '../../data/records';
import { tokenizeRecords } from '../../data/tokenize-example';
import { splitTrainEval } from '../../data/split';
import { BatchSource } from '../../data/batches';
import { resolveTrainConfig, TrainConfigError } from '../../train/config';
import { planMemory, tensorBudget } from '../../train/estimate';
import { train } from '../../train/trainer';
import { methodSpec, objective, paramsOf } from '../../train/objective';
import { fsCheckpointStore } from '../fs-checkpoint-store';
import { parse } from '../args';
import type { Command } from '../command';
import { asUsageFor, UsageError } from '../errors';
import { noUsableRecord, readRecordFile } from '../record-file';
import { openModel } from '../runtime';
import { tokenizerFrom } from '../model-tokenizer';
import { writeAdapterDir } from '../adapter-dir';
import { writeMergedModel } from '../merged-export';
import { progressPrinter } from '../progress';
import { TRAIN_FLAGS, checkModelType, method, peftConfig, trainOptions, trainOverrides } from '../train-flags';

const asUsage = asUsageFor(TrainConfigError, PeftConfigError, RecordsParseError);

export async function trainCommand(argv: string[]): Promise<number> {
  const o = trainOptions(parse(argv, TRAIN_FLAGS));
  const engine = (o.engine ?? 'webift') as string;
  if (engine === 'llamafactory') return (await import('../llamafactory/engine')).trainWithLlamaFactory(o);
  if (engine !== 'webift') throw new UsageError(`--engine must be webift or llamafactory, got '${engine}'`);
  if (o.template !== undefined) throw new UsageError('--template picks a LLaMA-Factory template: it goes with --engine llamafactory (webift uses the Alpaca prompt for instruction records and the chat template for messages)');
  const json = o.json === true;
  const need = (k: string) => {
    if (typeof o[k] !== 'string') throw new UsageError(`--${k} is required`);
    return o[k] as string;
  };
  const modelSpec = need('model'), dataPath = need('data'), out = need('out');
  const peft = asUsage(() => peftConfig(o));
  if (!peft && (o.quantize ?? 'none') !== 'none') throw new UsageError('--peft full trains every weight, so it needs an unquantized base: drop --quantize, or train lora, dora or ia3 on the quantized base (QLoRA)');
  const config = asUsage(() => resolveTrainConfig(trainOverrides(o), o.preset as string | undefined));
  const parsed = await readRecordFile(dataPath);
  const { model, source, backend, announce } = await openModel(modelSpec, o.backend as string | undefined, json, o);
  try {
    checkModelType(o, model.config.family, source.label);
    const tok = await tokenizerFrom(source);
    if (!tok) throw new UsageError(`${source.label} has no tokenizer.json; training needs one to tokenize --data`);
    const tokenized = tokenizeRecords(parsed.records, tok, { cutoffLen: config.cutoffLen, trainOnInputs: o['train-on-inputs'] === true, where: parsed.where });
    const rejected = [...parsed.rejected, ...tokenized.rejected];
    if (!tokenized.examples.length) throw noUsableRecord(dataPath, rejected);
    const split = config.evalSplit > 0 && tokenized.examples.length > 1
      ? splitTrainEval(tokenized.examples, config.evalSplit < 1 ? { evalFraction: config.evalSplit, seed: config.seed } : { evalSize: Math.min(config.evalSplit, Math.floor(tokenized.examples.length / 10)), seed: config.seed })
      : { train: tokenized.examples, eval: [] };
    const padId = tok.padTokenId ?? tok.eosTokenId ?? 0;
    const evalData = split.eval.length ? new BatchSource(split.eval, { batchSize: config.batchSize, padId, shuffle: false, cutoffLen: config.cutoffLen }) : undefined;
    const adapter = peft ? asUsage(() => attachAdapter(model, peft, { seed: config.seed })) : null;
    const spec = methodSpec(adapter);
    const budgetGb = o['memory-budget-gb'] !== undefined ? Number(o['memory-budget-gb']) : backend.name === 'wasm' ? 4 : os.totalmem() / 2 ** 30 * 0.75;
    announce();
    if (!json) {
      process.stderr.write(`data: ${tokenized.examples.length} examples (${split.train.length} train, ${split.eval.length} eval), ${rejected.length} rejected${rejected[0] ? ` (first: ${rejected[0].where}: ${rejected[0].reason})` : ''}\n`);
      const ranks = peft?.peft_type === 'ADALORA' ? ` init_r=${peft.init_r} target_r=${peft.target_r}` : peft && 'r' in peft ? ` r=${peft.r}` : '';
      process.stderr.write(`method: ${method(o)}${ranks}${peft && 'lora_alpha' in peft ? ` alpha=${peft.lora_alpha}` : ''}\n`);
    }
    // The memory model accepts the settings, picks recomputation / micro-batching so the run fits, or refuses.
    const quantMode = typeof o.quantize === 'string' ? o.quantize : 'none';
    const quant = quantMode === 'int4' || quantMode === 'int8' ? { bits: (quantMode === 'int4' ? 4 : 8) as 4 | 8, groupSize: Number(o['group-size'] ?? 64) } : null;
    const recomputeFlag = (o.recompute ?? 'auto') as string;
    if (!['auto', 'on', 'off'].includes(recomputeFlag)) throw new UsageError(`--recompute must be auto, on or off (got '${recomputeFlag}')`);
    const plan = planMemory(model.config, spec, { batch: config.batchSize, gradAccum: config.gradAccum, seqLen: config.cutoffLen, recompute: recomputeFlag as 'auto' | 'on' | 'off', quant, transposeFree: backend.name === 'wasm' && (backend.cpuThreads ?? 1) > 1 }, backend.maxBufferBytes, tensorBudget(backend.name, budgetGb * 2 ** 30));
    if (!plan.ok) throw new UsageError(plan.message);
    if (!json) process.stderr.write(`${plan.message}${plan.recompute ? ' (recomputing each block in the backward)' : ''}\n`);
    const data = new BatchSource(split.train, { batchSize: plan.batch, padId, seed: config.seed, packing: o.packing === true, cutoffLen: config.cutoffLen });
    const runConfig = { ...config, batchSize: plan.batch, gradAccum: plan.gradAccum };
    // AdaLoRA prunes ranks after every optimizer step (PEFT's update_and_allocate), over the run's steps by default.
    const stepHook = asUsage(() => adaloraStepHook(adapter, totalSteps(runConfig, data.batchesPerEpoch))) ?? undefined;
    const show = progressPrinter(json);
    let failed: string | null = null;
    for await (const e of train({
      config: runConfig,
      params: paramsOf(model, adapter),
      loss: objective(model, adapter, { recompute: plan.recompute }),
      data,
      evalData,
      store: fsCheckpointStore(path.join(out, 'checkpoints')),
      resumeFrom: o.resume === true ? 'latest' : undefined,
      stepHook,
      memoryCheck: { estimate: plan.estimate, maxBufferBytes: backend.maxBufferBytes, deviceBytes: tensorBudget(backend.name, budgetGb * 2 ** 30), method: spec },
    })) {
      show(e);
      if (e.kind === 'error') failed = e.reason === 'over-budget' ? e.message : `${e.message}${e.lastCheckpoint ? ` (kept ${path.join(out, 'checkpoints', e.lastCheckpoint)})` : ''}`;
    }
    stepHook?.dispose();
    if (failed) {
      adapter?.dispose();
      throw new UsageError(failed);
    }
    if (adapter) {
      await writeAdapterDir(adapter, path.join(out, 'adapter'), source.label);
      adapter.dispose();
    } else {
      await writeMergedModel(model, source, path.join(out, 'model'));
    }
    const where = path.join(out, adapter ? 'adapter' : 'model');
    if (json) process.stdout.write(`${JSON.stringify({ kind: 'saved', out: where })}\n`);
    else process.stderr.write(`saved ${adapter ? 'adapter' : 'model'} to ${where}\n`);
  } finally {
    model.dispose();
  }
  return 0;
}

export const command: Command = {
  name: 'train',
  summary: 'fine-tune a model on a JSON/JSONL file of records (LoRA, DoRA, IA3, prompt or prefix tuning, or full)',
  usage: '--model <dir|repo> --data <file.json[l]> --out <dir> [flags]',
  flags: TRAIN_FLAGS,
  notes: [
    'The defaults are alpaca-lora\'s (tloen/alpaca-lora finetune.py); --preset changes some of them, and the memory plan',
    'may lower --batch-size (raising --grad-accum to keep the effective batch) or turn on recomputation so the run fits.',
  ],
  run: trainCommand,
};
