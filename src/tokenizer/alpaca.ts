/**
 * The Alpaca prompt format, with the character span of the response for loss masking. EOS is the caller's to add.
 * Checked with the search tool (code corpus) against the sources named in STYLES below. They disagree on one byte:
 * alpaca-lora's templates/alpaca.json and Alpaca-CoT's first finetune.py end the prompt with "### Response:\n";
 * stanford_alpaca's train.py and Alpaca-CoT's later utils/config.py end it at "### Response:" with no newline.
 * Not handled: multi-turn conversations (chat-template.ts) and tokenisation of the spans (the data pipeline).
 */

export interface AlpacaRecord {
  instruction: string;
  /** Optional context; an empty string counts as absent (stanford: `input != ""`, Alpaca-CoT: truthiness). */
  input?: string | null;
  output: string;
}

export type AlpacaStyle = 'alpaca-lora' | 'stanford' | 'alpaca-cot';

export interface AlpacaText {
  /** Everything the model is conditioned on; labels over it are masked (-100). */
  prompt: string;
  /** prompt + separator + output. */
  full: string;
  /** [start, end) of the response characters in `full` (what the loss is computed on). */
  responseSpan: [number, number];
}

interface StyleSpec {
  /** Template with {instruction} and {input}, as Python's str.format_map fills it. */
  promptInput: string;
  promptNoInput: string;
  /** Text between the prompt and the output in the training example. */
  sep: string;
  checked: string;
}

const HEAD_INPUT =
  'Below is an instruction that describes a task, paired with an input that provides further context. ' +
  'Write a response that appropriately completes the request.\n\n';
const HEAD_NO_INPUT = 'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n';

export const STYLES: Record<AlpacaStyle, StyleSpec> = {
  // The default: the strings this project's data and evaluation use.
  'alpaca-lora': {
    promptInput: `${HEAD_INPUT}### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n`,
    promptNoInput: `${HEAD_NO_INPUT}### Instruction:\n{instruction}\n\n### Response:\n`,
    sep: '',
    checked: 'PhoebusSi/Alpaca-CoT finetune.py @79840e7 (generate_and_tokenize_prompt); tloen/alpaca-lora templates/alpaca.json',
  },
  stanford: {
    promptInput: `${HEAD_INPUT}### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:`,
    promptNoInput: `${HEAD_NO_INPUT}### Instruction:\n{instruction}\n\n### Response:`,
    sep: '',
    checked: 'tatsu-lab/stanford_alpaca train.py @15b51ae PROMPT_DICT; targets = output + eos',
  },
  'alpaca-cot': {
    promptInput: `${HEAD_INPUT}### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:`,
    promptNoInput: `${HEAD_NO_INPUT}### Instruction:\n{instruction}\n\n### Response:`,
    sep: ' ',
    checked: 'PhoebusSi/Alpaca-CoT utils/config.py @ed47ef7 PROMPT_DICT; utils/tools.py prompt + " " + output + " " + eos',
  },
};

/** The prompt part only (what inference feeds the model). Fills both fields in one pass, so braces in data are kept. */
export function alpacaPrompt(instruction: string, input?: string | null, style: AlpacaStyle = 'alpaca-lora'): string {
  const spec = STYLES[style];
  const fields: Record<string, string> = { instruction, input: input ?? '' };
  return (input ? spec.promptInput : spec.promptNoInput).replace(/\{(instruction|input)\}/g, (_, k: string) => fields[k]);
}

/** Prompt and full training text of one record: full = prompt + output ('alpaca-cot': prompt + ' ' + output). */
export function formatAlpaca(record: AlpacaRecord, style: AlpacaStyle = 'alpaca-lora'): AlpacaText {
  const prompt = alpacaPrompt(record.instruction, record.input, style);
  const sep = STYLES[style].sep;
  const full = prompt + sep + record.output;
  return { prompt, full, responseSpan: [prompt.length + sep.length, full.length] };
}

/** Cuts the model's answer out of generated text: what follows the last "### Response:" (alpaca-lora's response_split). */
export function splitAlpacaResponse(generated: string): string {
  const i = generated.lastIndexOf('### Response:');
  return (i < 0 ? generated : generated.slice(i + '### Response:'.length)).trim();
}
