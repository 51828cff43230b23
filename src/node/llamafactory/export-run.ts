/**
 * `webift export --format llamafactory`: the run `webift train` would do with the same flags (or --config), written
 * as a LLaMA-Factory folder: dataset_info.json + the data files, train.yaml, train_deepspeed.yaml +
 * ds_z2_config.json, README.md. Reads the model's config.json and tokenizer (never its weights) to check the LoRA
 * targets and pick the template. The folder appears whole or not at all. `webift train --engine llamafactory` uses
 * the same function for its work folder.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { RecordsParseError } from '../../data/records';
import { readConfig } from '../../model/load';
import { PeftConfigError, type LoraConfig, type PeftConfig } from '../../peft';
import { DEFAULT_LORA_TARGETS, resolveTargetModules, selectModules } from '../../peft/targets';
import { resolveTrainConfig, TrainConfigError, type TrainConfig } from '../../train/config';
import { estimateMemory } from '../../train/estimate';
import type { ModelConfig } from '../../model/config';
import { writeDirAtomic } from '../atomic';
import { asUsageFor, UsageError } from '../errors';
import { noUsableRecord, readRecordFile } from '../record-file';
import { tokenizerFrom } from '../model-tokenizer';
import { resolveModelSource } from '../runtime';
import { method, peftConfig, trainOverrides, type Options } from '../train-flags';
import { DatasetExportError, exportRecords } from './dataset';
import { exportReadme } from './readme';
import { chooseTemplate, TemplateMapError } from './templates';
import { DEEPSPEED_CONFIG, deepspeedConfig, MethodNotExportable, trainYaml, valSize, type RunSpec } from './train-yaml';
import { toYaml } from './yaml';

export const TRAIN_YAML = 'train.yaml';
export const DEEPSPEED_YAML = 'train_deepspeed.yaml';
export const OUTPUT_DIR = 'output';

export interface ExportSummary {
  out: string;
  template: string;
  datasets: Record<string, number>;
  files: string[];
  warnings: string[];
  /** Parameters the run trains (LoRA A/B and DoRA magnitudes, or every weight for full). */
  trainableParams: number;
  config: TrainConfig;
  /** Records exported, and what the YAML holds out for eval (val_size). */
  records: number;
  valSize: number;
}

const asUsage = asUsageFor(TrainConfigError, PeftConfigError, RecordsParseError, TemplateMapError, DatasetExportError, MethodNotExportable);

/** The LoRA config with its targets resolved on this model (PEFT's rule), and what the run trains. */
function resolvePeft(cfg: ModelConfig, peft: PeftConfig | null): { peft: PeftConfig | null; trainable: number } {
  if (!peft) return { peft, trainable: estimateMemory(cfg, { kind: 'full' }, 1, 1).trainableParams };
  if (peft.peft_type !== 'LORA') return { peft, trainable: 0 };
  const c = peft as LoraConfig;
  const targets = resolveTargetModules(cfg, c.target_modules, DEFAULT_LORA_TARGETS[cfg.family]);
  const mods = selectModules(cfg, targets);
  const trainable = mods.reduce((a, m) => a + c.r * (m.inDim + m.outDim) + (c.use_dora ? m.outDim : 0), 0);
  // 'all-linear' stays 'all' for LLaMA-Factory (it expands it the same way); a list goes as written.
  return { peft: c.target_modules === 'all-linear' ? c : { ...c, target_modules: targets }, trainable };
}

export async function exportLlamaFactory(o: Options, out: string, opts: { quiet?: boolean } = {}): Promise<ExportSummary> {
  const need = (k: string) => {
    if (typeof o[k] !== 'string') throw new UsageError(`--${k} is required`);
    return o[k] as string;
  };
  const modelSpec = need('model'), dataPath = need('data');
  method(o);
  const peft0 = asUsage(() => peftConfig(o));
  const config = asUsage(() => resolveTrainConfig(trainOverrides(o), o.preset as string | undefined));
  const quant = (o.quantize ?? 'none') as string;
  if (!['none', 'int8', 'int4'].includes(quant)) throw new UsageError(`--quantize must be none, int8 or int4, got '${quant}'`);
  if (!peft0 && quant !== 'none') throw new UsageError('--peft full trains every weight, so it needs an unquantized base: drop --quantize');
  const parsed = await readRecordFile(dataPath);
  if (!parsed.records.length) throw noUsableRecord(dataPath, parsed.rejected);

  const source = await resolveModelSource(modelSpec, true);
  const cfg = await readConfig(source);
  const tok = await tokenizerFrom(source);
  const { peft, trainable } = asUsage(() => resolvePeft(cfg, peft0));
  // resolveModelSource took a folder when one exists, else a hub id owner/name[@revision].
  const hub = existsSync(modelSpec) ? null : modelSpec.split('@');
  const modelNameOrPath = hub ? hub[0] : path.resolve(modelSpec);

  const messages = parsed.records.filter((r) => 'messages' in r).length;
  const choice = asUsage(() => chooseTemplate({
    asked: o.template as string | undefined, chatTemplate: tok?.chatTemplate ?? null, family: cfg.family, modelName: modelSpec,
    instructionRecords: parsed.records.length - messages, messagesRecords: messages,
  }));
  const data = asUsage(() => exportRecords(parsed.records, { alpacaPrompt: choice.alpacaPrompt, where: parsed.where.map((w) => `--data ${dataPath} ${w}`) }));
  const warnings = [...choice.warnings];
  if (parsed.rejected.length) warnings.push(`warning: ${parsed.rejected.length} records of --data were rejected and left out (first: ${parsed.rejected[0].where}: ${parsed.rejected[0].reason})`);

  const spec: RunSpec = {
    modelNameOrPath, revision: hub?.[1], peft, config, template: choice.name, datasets: data.names, records: parsed.records.length,
    quantizeBits: quant === 'int4' ? 4 : quant === 'int8' ? 8 : null, packing: o.packing === true || o.packing === 'true',
    trainOnInputs: o['train-on-inputs'] === true || o['train-on-inputs'] === 'true', outputDir: OUTPUT_DIR,
  };
  const yaml = asUsage(() => toYaml(trainYaml(spec)));
  const dsYaml = toYaml(trainYaml(spec, { deepspeed: DEEPSPEED_CONFIG }));
  const readme = exportReadme({
    model: modelNameOrPath, template: choice.name, outputDir: OUTPUT_DIR, warnings,
    method: peft ? `${(peft as LoraConfig).use_dora ? 'DoRA' : 'LoRA'} r=${(peft as LoraConfig).r} alpha=${(peft as LoraConfig).lora_alpha}` : 'full fine-tuning',
    datasets: data.names.map((n) => ({ name: n, formatting: data.datasetInfo[n].formatting, records: n.endsWith('alpaca') ? data.counts.instruction : data.counts.messages })),
  });
  const files: [string, string][] = [
    ['dataset_info.json', `${JSON.stringify(data.datasetInfo, null, 2)}\n`],
    ...data.files.map((f): [string, string] => [f.name, f.text]),
    [TRAIN_YAML, yaml],
    [DEEPSPEED_YAML, dsYaml],
    [DEEPSPEED_CONFIG, `${JSON.stringify(deepspeedConfig(), null, 2)}\n`],
    ['README.md', readme],
  ];
  await writeDirAtomic(out, async (tmp) => {
    for (const [name, body] of files) await writeFile(path.join(tmp, name), body);
  });
  if (!opts.quiet) for (const w of warnings) process.stderr.write(`${w}\n`);
  return {
    out, template: choice.name, files: files.map(([n]) => n), warnings, trainableParams: trainable, config, records: parsed.records.length,
    valSize: valSize(config, parsed.records.length),
    datasets: Object.fromEntries(data.names.map((n) => [n, n.endsWith('alpaca') ? data.counts.instruction : data.counts.messages])),
  };
}
