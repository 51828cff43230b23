/**
 * The converter contract: one source shape in (bytes, so parquet and text share a signature), unified records out,
 * plus every row that could not be converted with where it was and why. Invariant: `rows === records-producing rows
 * + rejected.length` (`accepted` counts the rows that produced records). A row is converted whole or rejected whole;
 * the result is checked by records.ts's validateRecord, so nothing half-converted slips through.
 */
import type { Rejection, UnifiedRecord } from '../records';

export type Shape =
  | 'alpaca'
  | 'jsonl'
  | 'dolly'
  | 'sharegpt'
  | 'flan-cot-tsv'
  | 'alpaca-cot'
  | 'belle'
  | 'gsm8k'
  | 'exam-cn'
  | 'self-instruct'
  | 'csv'
  | 'parquet';

export interface ConvertOptions {
  /** File name (or label) for messages; also a hint for sniffing. */
  label?: string;
  /** Source column -> unified field, for csv/parquet/jsonl with other key names: {instruction: 'prompt', output: 'completion'}. */
  fields?: Partial<Record<'instruction' | 'input' | 'output' | 'messages', string>>;
}

export interface ConvertResult {
  shape: Shape;
  records: UnifiedRecord[];
  /** Where each record came from ('line 3', 'index 0', 'row 5'), parallel to `records`. */
  where: string[];
  rejected: Rejection[];
  /** Source rows read (lines, array items, table rows). */
  rows: number;
  /** Rows that produced records (a self-instruct row with 2 instances gives 2 records). */
  accepted: number;
}

export interface Converter {
  shape: Shape;
  /** One line for `webift data convert --help` and the UI. */
  describe: string;
  convert(bytes: Uint8Array, opts?: ConvertOptions): Promise<ConvertResult>;
}

/** The file as a whole cannot be read in this shape (not JSON at all, empty, no header): one clear message. */
export class ConvertError extends Error {
  override name = 'ConvertError';
}

/** A row-level failure: the message becomes the rejection reason. */
export class RowError extends Error {
  override name = 'RowError';
}
