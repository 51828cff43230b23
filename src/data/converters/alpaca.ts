/**
 * Alpaca JSON (Stanford Alpaca, AlpaGasus, Code Alpaca, Alpaca-GPT4, carbonz0's Chinese Alpaca): an array of
 * `{instruction, input, output}`; `input` may be missing or "". Extra keys (`category`, bilingual `en_*`) are
 * ignored; `fields` renames keys (e.g. `{instruction: 'en_instruction', ...}` for the English side of a bilingual file).
 */
import { field, jsonRowsConverter } from './rows';
import type { Converter } from './types';

export const alpacaConverter: Converter = {
  shape: 'alpaca',
  describe: 'Alpaca JSON: [{instruction, input, output}] (input optional)',
  convert: jsonRowsConverter('alpaca', (o, f) => ({
    instruction: field(o, f.instruction ?? 'instruction'),
    input: field(o, f.input ?? 'input', { optional: true }),
    output: field(o, f.output ?? 'output'),
  })),
};
