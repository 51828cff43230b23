/**
 * The converter registry: every source shape by name, and `convert` with `'auto'` sniffing. This is the one entry
 * point the CLI, the UI's drag-and-drop and the hub pull use. Not handled: streaming (a file is converted whole).
 */
import { alpacaConverter } from './alpaca';
import { alpacaCotConverter } from './alpaca-cot';
import { belleConverter } from './belle';
import { csvConverter } from './csv';
import { dollyConverter } from './dolly';
import { examCnConverter } from './exam-cn';
import { flanCotTsvConverter } from './flan-cot-tsv';
import { gsm8kConverter } from './gsm8k';
import { jsonlConverter } from './jsonl';
import { parquetConverter } from './parquet';
import { selfInstructConverter } from './self-instruct';
import { sharegptConverter } from './sharegpt';
import { sniffShape } from './sniff';
import { ConvertError, type ConvertOptions, type ConvertResult, type Converter, type Shape } from './types';

export * from './types';
export { sniffShape } from './sniff';

export const CONVERTERS: Record<Shape, Converter> = {
  alpaca: alpacaConverter,
  jsonl: jsonlConverter,
  dolly: dollyConverter,
  sharegpt: sharegptConverter,
  'flan-cot-tsv': flanCotTsvConverter,
  'alpaca-cot': alpacaCotConverter,
  belle: belleConverter,
  gsm8k: gsm8kConverter,
  'exam-cn': examCnConverter,
  'self-instruct': selfInstructConverter,
  csv: csvConverter,
  parquet: parquetConverter,
};

export const SHAPES = Object.keys(CONVERTERS) as Shape[];

export function isShape(s: string): s is Shape {
  return (SHAPES as string[]).includes(s);
}

/** Converts a whole file. `shape` 'auto' sniffs; an unknown shape or an unsniffable file is a ConvertError. */
export async function convert(bytes: Uint8Array, shape: Shape | 'auto', opts: ConvertOptions = {}): Promise<ConvertResult> {
  let s: Shape;
  if (shape === 'auto') {
    const sniffed = sniffShape(bytes, opts.label);
    if (!sniffed.shape) throw new ConvertError(`${opts.label ?? 'input'}: cannot tell the source shape (${sniffed.reason}); pass --format (${SHAPES.join(', ')})`);
    s = sniffed.shape;
  } else if (isShape(shape)) s = shape;
  else throw new ConvertError(`unknown format '${String(shape)}' (formats: auto, ${SHAPES.join(', ')})`);
  return CONVERTERS[s].convert(bytes, opts);
}
