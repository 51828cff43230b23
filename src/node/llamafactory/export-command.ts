/**
 * `webift export --format llamafactory --out DIR` with the train flags (or --config): writes the run as a
 * LLaMA-Factory folder (export-run.ts) and prints what it wrote, or one JSON line with --json.
 */
import { parse, type Flag, type FlagSpec } from '../args';
import { UsageError } from '../errors';
import { TRAIN_FLAGS, trainOptions } from '../train-flags';
import { exportLlamaFactory, TRAIN_YAML } from './export-run';

const FORMAT_FLAG: Flag = { type: 'string', value: 'llamafactory', help: 'llamafactory: the run these train flags describe, as a LLaMA-Factory folder (dataset_info.json, data, YAML, README)' };

export const LLAMAFACTORY_EXPORT_FLAGS: FlagSpec = { ...TRAIN_FLAGS, format: FORMAT_FLAG };

export async function llamaFactoryExportCommand(argv: string[]): Promise<number> {
  const o = trainOptions(parse(argv, LLAMAFACTORY_EXPORT_FLAGS));
  if (typeof o.out !== 'string') throw new UsageError('--out is required (the folder to write)');
  if (o.engine !== undefined && o.engine !== 'llamafactory') throw new UsageError('--engine is for webift train; export --format llamafactory always writes a LLaMA-Factory run');
  const json = o.json === true;
  const s = await exportLlamaFactory(o, o.out, { quiet: json });
  if (json) process.stdout.write(`${JSON.stringify({ out: o.out, format: 'llamafactory', files: s.files, template: s.template, datasets: s.datasets, val_size: s.valSize })}\n`);
  else process.stderr.write(`exported a LLaMA-Factory run to ${o.out} (template ${s.template}; ${Object.entries(s.datasets).map(([k, n]) => `${k}: ${n} records`).join(', ')}); run: cd ${o.out} && llamafactory-cli train ${TRAIN_YAML}\n`);
  return 0;
}
