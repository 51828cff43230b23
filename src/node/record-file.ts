/**
 * The training data file of `webift train` and `webift export --format llamafactory`: read and parsed into records,
 * with a missing file or a malformed one as one usage error, and the one message for a file with no usable record.
 */
import { readFile } from 'node:fs/promises';
import { parseRecords, RecordsParseError, type ParsedRecords, type Rejection } from '../data/records';
import { asUsageFor, UsageError } from './errors';

export async function readRecordFile(dataPath: string): Promise<ParsedRecords> {
  let text: string;
  try {
    text = await readFile(dataPath, 'utf8');
  } catch {
    throw new UsageError(`--data ${dataPath}: no such file`);
  }
  return asUsageFor(RecordsParseError)(() => parseRecords(text, { label: dataPath }));
}

/** "--data F: no usable record (N rejected; first: where: reason)". */
export function noUsableRecord(dataPath: string, rejected: Rejection[]): UsageError {
  return new UsageError(`--data ${dataPath}: no usable record (${rejected.length} rejected; first: ${rejected[0] ? `${rejected[0].where}: ${rejected[0].reason}` : 'empty file'})`);
}
