/**
 * Parquet through hyparquet (how the hub serves most datasets: `refs/convert/parquet`, `data/train-*.parquet`).
 * Rows become records by their columns: `messages` (role/content list) or `conversations` (ShareGPT) -> messages;
 * `question` + `answer` with a `####` line -> GSM8K; otherwise instruction/input/output (or `fields` renames; dolly's
 * context/response are recognised). Rows are numbered from 1. Not handled: nested row groups beyond what hyparquet reads.
 */
import { parquetReadObjects } from 'hyparquet';
import { asObject, field, mapRows, type Row } from './rows';
import { conversationToMessages } from './sharegpt';
import { splitGsm8kAnswer } from './gsm8k';
import { ConvertError, RowError, type ConvertOptions, type Converter } from './types';

function mapRow(o: Record<string, unknown>, f: NonNullable<ConvertOptions['fields']>): unknown {
  if (f.messages) {
    const list = o[f.messages];
    const first: unknown = Array.isArray(list) ? list[0] : undefined;
    const isShareGpt = !!first && typeof first === 'object' && 'from' in first;
    return isShareGpt ? conversationToMessages(list, f.messages) : { messages: list };
  }
  if ('messages' in o) return { messages: o.messages };
  if ('conversations' in o) return conversationToMessages(o.conversations);
  if (!f.instruction && 'question' in o && 'answer' in o) {
    const parts = splitGsm8kAnswer(field(o, 'answer'));
    if (!parts) throw new RowError('"answer" has no "#### <answer>" line');
    return { instruction: field(o, 'question'), input: '', output: `${parts.reasoning}\n#### ${parts.final}`.trimStart() };
  }
  const dolly = !f.instruction && 'context' in o && 'response' in o;
  return {
    instruction: field(o, f.instruction ?? 'instruction'),
    input: field(o, f.input ?? (dolly ? 'context' : 'input'), { optional: true }),
    output: field(o, f.output ?? (dolly ? 'response' : 'output')),
  };
}

export const parquetConverter: Converter = {
  shape: 'parquet',
  describe: 'Parquet (hub format): instruction/input/output, messages, conversations or question/answer columns',
  async convert(bytes, opts = {}) {
    const label = opts.label ?? 'parquet';
    const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    let objects: Record<string, unknown>[];
    try {
      objects = await parquetReadObjects({ file: buf });
    } catch (e) {
      throw new ConvertError(`${label}: not a readable parquet file: ${(e as Error).message}`);
    }
    const rows: Row[] = objects.map((value, i) => ({ value, where: `row ${i + 1}` }));
    return mapRows('parquet', rows, [], (v) => mapRow(asObject(v), opts.fields ?? {}));
  },
};
