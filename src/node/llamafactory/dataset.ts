/**
 * Unified records -> LLaMA-Factory data files plus their dataset_info.json entries (LLaMA-Factory data/README.md):
 * instruction records as one `alpaca` dataset, messages records as one `sharegpt` dataset in the OpenAI layout
 * (role/content tags). Records keep the order and repeats of the mix they come from. With `alpacaPrompt`, each
 * instruction record carries webift's Alpaca header in `system` and its input as "\n### Input:\n..." in `query`, so
 * LLaMA-Factory's `alpaca` template (system + "### Instruction:\n{prompt}\n{query}\n\n### Response:\n") renders the
 * exact alpaca-lora prompt webift trains on. Messages that LLaMA-Factory would drop (roles not alternating user,
 * assistant after an optional leading system) are refused here, naming the record.
 */
import { isMessagesRecord, type InstructionRecord, type MessagesRecord, type UnifiedRecord } from '../../data/records';
import { STYLES } from '../../tokenizer/alpaca';

export const ALPACA_DATASET = 'webift_alpaca';
export const SHAREGPT_DATASET = 'webift_sharegpt';

export class DatasetExportError extends Error {
  override name = 'DatasetExportError';
}

export interface DatasetInfoEntry {
  file_name: string;
  formatting: 'alpaca' | 'sharegpt';
  columns: Record<string, string>;
  tags?: Record<string, string>;
}

export interface ExportedData {
  /** dataset_info.json: entry name -> description. */
  datasetInfo: Record<string, DatasetInfoEntry>;
  /** Data files to write beside dataset_info.json. */
  files: { name: string; text: string }[];
  /** Entry names in `dataset:` order. */
  names: string[];
  counts: { instruction: number; messages: number };
}

/** webift's alpaca-lora prompt split into the header (before "### Instruction:") and the part LLaMA-Factory writes. */
function alpacaHeaders(): { withInput: string; noInput: string } {
  const s = STYLES['alpaca-lora'];
  const split = (t: string, tail: string) => {
    const at = t.indexOf('### Instruction:\n');
    if (at < 0 || t.slice(at) !== tail) throw new Error(`alpaca-lora template changed: '${t.slice(at)}' is not what LLaMA-Factory's alpaca template writes`);
    return t.slice(0, at);
  };
  return {
    withInput: split(s.promptInput, '### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n'),
    noInput: split(s.promptNoInput, '### Instruction:\n{instruction}\n\n### Response:\n'),
  };
}

function alpacaRow(r: InstructionRecord, alpacaPrompt: boolean): Record<string, string> {
  if (!alpacaPrompt) return { instruction: r.instruction, input: r.input, output: r.output };
  const h = alpacaHeaders();
  // LLaMA-Factory joins prompt and query with "\n" (converter.py), so the query starts with the second newline.
  return r.input
    ? { instruction: r.instruction, input: `\n### Input:\n${r.input}`, output: r.output, system: h.withInput }
    : { instruction: r.instruction, input: '', output: r.output, system: h.noInput };
}

/** The reason LLaMA-Factory's sharegpt converter would skip this record, or null. */
export function sharegptProblem(r: MessagesRecord): string | null {
  const turns = r.messages[0]?.role === 'system' ? r.messages.slice(1) : r.messages;
  for (let i = 0; i < turns.length; i++) {
    const want = i % 2 === 0 ? 'user' : 'assistant';
    if (turns[i].role !== want) return `message ${i + (turns === r.messages ? 0 : 1)} is '${turns[i].role}' where LLaMA-Factory expects '${want}' (after an optional first system message, turns alternate user, assistant)`;
  }
  if (turns.length % 2 !== 0) return 'it ends with a user turn; LLaMA-Factory needs the last message to be the assistant\'s';
  return null;
}

const jsonl = (rows: unknown[]) => rows.map((x) => JSON.stringify(x)).join('\n') + (rows.length ? '\n' : '');

export function exportRecords(records: readonly UnifiedRecord[], opts: { alpacaPrompt: boolean; where?: readonly string[] }): ExportedData {
  const alpaca: Record<string, string>[] = [];
  const sharegpt: MessagesRecord[] = [];
  records.forEach((r, i) => {
    if (isMessagesRecord(r)) {
      const problem = sharegptProblem(r);
      if (problem) throw new DatasetExportError(`${opts.where?.[i] ?? `record ${i}`}: ${problem}`);
      sharegpt.push({ messages: r.messages.map((m) => ({ role: m.role, content: m.content })) });
    } else alpaca.push(alpacaRow(r, opts.alpacaPrompt));
  });
  const out: ExportedData = { datasetInfo: {}, files: [], names: [], counts: { instruction: alpaca.length, messages: sharegpt.length } };
  if (alpaca.length) {
    const file = `${ALPACA_DATASET}.jsonl`;
    out.datasetInfo[ALPACA_DATASET] = {
      file_name: file, formatting: 'alpaca',
      columns: { prompt: 'instruction', query: 'input', response: 'output', ...(opts.alpacaPrompt ? { system: 'system' } : {}) },
    };
    out.files.push({ name: file, text: jsonl(alpaca) });
    out.names.push(ALPACA_DATASET);
  }
  if (sharegpt.length) {
    const file = `${SHAREGPT_DATASET}.jsonl`;
    out.datasetInfo[SHAREGPT_DATASET] = {
      file_name: file, formatting: 'sharegpt', columns: { messages: 'messages' },
      tags: { role_tag: 'role', content_tag: 'content', user_tag: 'user', assistant_tag: 'assistant', system_tag: 'system' },
    };
    out.files.push({ name: file, text: jsonl(sharegpt) });
    out.names.push(SHAREGPT_DATASET);
  }
  if (!out.names.length) throw new DatasetExportError('no records to export');
  return out;
}
