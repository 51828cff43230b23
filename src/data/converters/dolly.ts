/**
 * Databricks Dolly 15k: `{instruction, context, response, category}` -> `{instruction, input: context, output:
 * response}`. `context` may be "" (open QA, brainstorming); `category` is dropped. AlpaGasus's dolly_3k already
 * renamed context to input and is alpaca-shaped, so it goes through the alpaca converter instead.
 */
import { field, jsonRowsConverter } from './rows';
import type { Converter } from './types';

export const dollyConverter: Converter = {
  shape: 'dolly',
  describe: 'Dolly: {instruction, context, response, category}',
  convert: jsonRowsConverter('dolly', (o) => ({
    instruction: field(o, 'instruction'),
    input: field(o, 'context', { optional: true }),
    output: field(o, 'response'),
  })),
};
