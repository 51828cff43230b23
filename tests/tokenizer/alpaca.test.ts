/**
 * The Alpaca prompt strings byte for byte, written out by hand here from the sources alpaca.ts cites (alpaca-lora /
 * Alpaca-CoT finetune.py with "### Response:\n"; stanford_alpaca and Alpaca-CoT utils/config.py without the newline),
 * plus the response span used for loss masking and the response splitter.
 */
import { describe, expect, it } from 'vitest';
import { alpacaPrompt, formatAlpaca, splitAlpacaResponse } from '../../src/tokenizer/alpaca';

const WITH_INPUT =
  'Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n' +
  '### Instruction:\nTranslate to French.\n\n### Input:\nGood morning\n\n### Response:\n';
const NO_INPUT =
  'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n' +
  '### Instruction:\nName a primary colour.\n\n### Response:\n';

describe('Alpaca template', () => {
  it('with input (default style)', () => {
    const r = formatAlpaca({ instruction: 'Translate to French.', input: 'Good morning', output: 'Bonjour' });
    expect(r.prompt).toBe(WITH_INPUT);
    expect(r.full).toBe(WITH_INPUT + 'Bonjour');
    expect(r.full.slice(...r.responseSpan)).toBe('Bonjour');
  });

  it('without input: empty, null and missing input all count as absent', () => {
    for (const input of ['', null, undefined]) {
      const r = formatAlpaca({ instruction: 'Name a primary colour.', input, output: 'Red.' });
      expect(r.prompt).toBe(NO_INPUT);
      expect(r.full).toBe(NO_INPUT + 'Red.');
      expect(r.responseSpan).toEqual([NO_INPUT.length, NO_INPUT.length + 4]);
    }
  });

  it('stanford_alpaca and Alpaca-CoT utils styles: no newline after "### Response:"', () => {
    const rec = { instruction: 'Translate to French.', input: 'Good morning', output: 'Bonjour' };
    const bare = WITH_INPUT.slice(0, -1);
    expect(formatAlpaca(rec, 'stanford')).toEqual({ prompt: bare, full: bare + 'Bonjour', responseSpan: [bare.length, bare.length + 7] });
    expect(formatAlpaca(rec, 'alpaca-cot')).toEqual({ prompt: bare, full: bare + ' Bonjour', responseSpan: [bare.length + 1, bare.length + 8] });
    expect(alpacaPrompt('Name a primary colour.', '', 'stanford')).toBe(NO_INPUT.slice(0, -1));
  });

  it('keeps braces and placeholder-like text in the data verbatim', () => {
    const r = formatAlpaca({ instruction: 'Echo {input} and {x}', input: '{instruction}', output: '{}' });
    expect(r.prompt).toContain('### Instruction:\nEcho {input} and {x}\n\n### Input:\n{instruction}\n\n');
    expect(r.full.endsWith('### Response:\n{}')).toBe(true);
  });

  it('splits the response out of generated text', () => {
    expect(splitAlpacaResponse(NO_INPUT + 'Blue.\n')).toBe('Blue.');
    expect(splitAlpacaResponse('no marker here ')).toBe('no marker here');
  });
});
