/**
 * Alpaca-CoT's formatted CoT data (`Chain-of-Thought/formatted_cot_data/*.json`, CoT_data.json): alpaca-shaped, but
 * the FLAN template text carries the TSV's literal backslash-n pairs (e.g. `...?\nOptions:\n- a` with `\` + `n`).
 * This converter turns them into real newlines in instruction, input and output (see unescape.ts for why only
 * here). Nothing else is changed: the FLAN template wording Alpaca-CoT chose per record is kept.
 */
import { field, jsonRowsConverter } from './rows';
import { unescapeNewlines } from './unescape';
import type { Converter } from './types';

export const alpacaCotConverter: Converter = {
  shape: 'alpaca-cot',
  describe: "Alpaca-CoT formatted CoT JSON (alpaca keys, literal '\\n' turned into newlines)",
  convert: jsonRowsConverter('alpaca-cot', (o, f) => ({
    instruction: unescapeNewlines(field(o, f.instruction ?? 'instruction')),
    input: unescapeNewlines(field(o, f.input ?? 'input', { optional: true })),
    output: unescapeNewlines(field(o, f.output ?? 'output')),
  })),
};
