/**
 * The unified record (PRODUCT.md contracts): `{instruction, input, output}` or the multi-turn `{messages}`, a strict
 * validator, and a parser for a local JSON array or JSON Lines file. Every bad record is reported with its line
 * (JSONL, 1-based) or index (JSON, 0-based) and a reason; none is dropped silently or half-converted (no coercion).
 * Not handled: other source shapes (dolly `context/response`, ShareGPT `conversations`, CSV, parquet): converters.
 */
import { describeJsonError } from './json-error';

export type Role = 'system' | 'user' | 'assistant';

export interface Message {
  role: Role;
  content: string;
}

export interface InstructionRecord {
  instruction: string;
  /** Optional context; "" when the record has none. */
  input: string;
  output: string;
}

export interface MessagesRecord {
  messages: Message[];
}

export type UnifiedRecord = InstructionRecord | MessagesRecord;

export type RecordsFormat = 'json' | 'jsonl';

export interface Rejection {
  /** 'line 12' (JSONL, 1-based), 'index 4' (JSON array, 0-based) or 'record 4' (an in-memory list). */
  where: string;
  reason: string;
}

export interface ParsedRecords {
  records: UnifiedRecord[];
  /** Where each accepted record came from, parallel to `records` (for later rejections, e.g. at tokenisation). */
  where: string[];
  rejected: Rejection[];
  format: RecordsFormat;
}

/** The file as a whole is not JSON / JSON Lines (or is empty): one clear message, nothing half-read. */
export class RecordsParseError extends Error {
  override name = 'RecordsParseError';
}

const ROLES: readonly string[] = ['system', 'user', 'assistant'];

export function isMessagesRecord(r: UnifiedRecord): r is MessagesRecord {
  return Array.isArray((r as MessagesRecord).messages);
}

function kind(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function keysOf(o: object): string {
  const k = Object.keys(o);
  return k.length ? k.join(', ') : 'none';
}

function requiredString(o: Record<string, unknown>, key: string): string {
  if (!(key in o)) throw new Error(`missing "${key}" (keys: ${keysOf(o)})`);
  const v = o[key];
  if (typeof v !== 'string') throw new Error(`"${key}" is ${kind(v)}, not a string`);
  if (v.trim() === '') throw new Error(`"${key}" is empty${key === 'output' ? ': nothing to learn' : ''}`);
  return v;
}

function validateMessages(o: Record<string, unknown>): MessagesRecord {
  for (const k of ['instruction', 'input', 'output']) {
    if (k in o) throw new Error(`has both "messages" and "${k}": ambiguous, expected one form`);
  }
  const list = o.messages;
  if (!Array.isArray(list)) throw new Error(`"messages" is ${kind(list)}, not an array`);
  if (list.length === 0) throw new Error('"messages" is empty');
  const messages: Message[] = list.map((m: unknown, i) => {
    if (!m || typeof m !== 'object' || Array.isArray(m)) throw new Error(`messages[${i}] is ${kind(m)}, not an object`);
    const { role, content } = m as Record<string, unknown>;
    if (typeof role !== 'string' || !ROLES.includes(role)) {
      throw new Error(`messages[${i}].role is ${JSON.stringify(role) ?? 'missing'}, expected "system", "user" or "assistant"`);
    }
    if (typeof content !== 'string') throw new Error(`messages[${i}].content is ${kind(content)}, not a string`);
    return { role: role as Role, content };
  });
  if (!messages.some((m) => m.role === 'assistant')) throw new Error('no "assistant" message: nothing to learn');
  return { messages };
}

/**
 * One parsed JSON value -> a unified record, or the reason it is not one. Extra keys (e.g. dolly_3k's `category`)
 * are ignored; a missing or null `input` reads as "". Nothing else is filled in or converted.
 */
export function validateRecord(value: unknown): { record: UnifiedRecord } | { reason: string } {
  try {
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`not a JSON object (got ${kind(value)})`);
    const o = value as Record<string, unknown>;
    if ('messages' in o) return { record: validateMessages(o) };
    const instruction = requiredString(o, 'instruction');
    const output = requiredString(o, 'output');
    const input = o.input ?? '';
    if (typeof input !== 'string') throw new Error(`"input" is ${kind(input)}, not a string`);
    return { record: { instruction, input, output } };
  } catch (e) {
    return { reason: (e as Error).message };
  }
}

function parseJsonArray(text: string, label: string): ParsedRecords {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new RecordsParseError(`${label}: not valid JSON: ${describeJsonError(e, text)}`);
  }
  if (!Array.isArray(data)) throw new RecordsParseError(`${label}: expected a JSON array of records, got ${kind(data)}`);
  const out: ParsedRecords = { records: [], where: [], rejected: [], format: 'json' };
  data.forEach((v, i) => {
    const r = validateRecord(v);
    if ('record' in r) {
      out.records.push(r.record);
      out.where.push(`index ${i}`);
    } else out.rejected.push({ where: `index ${i}`, reason: r.reason });
  });
  return out;
}

function parseJsonLines(text: string, label: string): ParsedRecords {
  const out: ParsedRecords = { records: [], where: [], rejected: [], format: 'jsonl' };
  let parsedAny = false;
  let firstError = '';
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return; // blank lines are not records
    const where = `line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      const reason = `not valid JSON: ${(e as Error).message}`;
      firstError ||= `${where}: ${reason}`;
      out.rejected.push({ where, reason });
      return;
    }
    parsedAny = true;
    const r = validateRecord(value);
    if ('record' in r) {
      out.records.push(r.record);
      out.where.push(where);
    } else out.rejected.push({ where, reason: r.reason });
  });
  if (!parsedAny) throw new RecordsParseError(`${label}: no line is valid JSON, so this is not a JSON Lines file (${firstError})`);
  return out;
}

/**
 * Parses a local JSON array or JSON Lines file. `format` 'auto' (default) reads a file whose first non-blank
 * character is '[' as a JSON array and anything else as JSON Lines (several .json files of the collection are JSONL).
 * Throws RecordsParseError when the file is empty or unparseable as a whole; else returns every record or rejection.
 */
export function parseRecords(text: string, opts: { format?: RecordsFormat | 'auto'; label?: string } = {}): ParsedRecords {
  const label = opts.label ?? 'records';
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // a UTF-8 BOM
  const start = body.trimStart();
  if (start === '') throw new RecordsParseError(`${label}: the file is empty`);
  const format = opts.format && opts.format !== 'auto' ? opts.format : start[0] === '[' ? 'json' : 'jsonl';
  return format === 'json' ? parseJsonArray(body, label) : parseJsonLines(body, label);
}
