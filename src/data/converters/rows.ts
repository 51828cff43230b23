/**
 * Reading source rows and turning each into records, shared by the JSON-based converters. A JSON array, a JSON
 * object holding one array (Auto-CoT's `{demo: [...]}`), or JSON Lines whatever the extension says (BELLE and
 * ShareGPT `.json` files are JSONL). Bad lines become rejections; a file with no parseable line is a ConvertError.
 * Each mapped record goes through validateRecord, so a converter can never emit a half-filled record.
 */
import { describeJsonError } from '../json-error';
import { validateRecord, type Rejection, type UnifiedRecord } from '../records';
import { ConvertError, RowError, type ConvertResult, type Shape } from './types';

export interface Row {
  value: unknown;
  where: string;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/** UTF-8 text without a BOM. */
export function decodeText(bytes: Uint8Array): string {
  const t = decoder.decode(bytes);
  return t.charCodeAt(0) === 0xfeff ? t.slice(1) : t;
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

export function readJsonRows(text: string, label: string): { rows: Row[]; rejected: Rejection[]; format: 'json' | 'jsonl' } {
  const start = text.trimStart();
  if (start === '') throw new ConvertError(`${label}: the file is empty`);
  if (start[0] === '[' || start[0] === '{') {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      // '{' may open the first line of a JSON Lines file: fall through to JSONL unless it is a lone object.
      if (start[0] === '[') throw new ConvertError(`${label}: not valid JSON: ${describeJsonError(e, text)}`);
    }
    if (Array.isArray(data)) return { rows: data.map((value, i) => ({ value, where: `index ${i}` })), rejected: [], format: 'json' };
    if (data && typeof data === 'object') {
      const arrays = Object.entries(data).filter(([, v]) => Array.isArray(v));
      if (arrays.length === 1) {
        const [key, list] = arrays[0] as [string, unknown[]];
        return { rows: list.map((value, i) => ({ value, where: `${key}[${i}]` })), rejected: [], format: 'json' };
      }
      // A single-object file is one JSON Lines record.
    }
  }
  const rows: Row[] = [];
  const rejected: Rejection[] = [];
  let firstError = '';
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const where = `line ${i + 1}`;
    try {
      rows.push({ value: JSON.parse(line), where });
    } catch (e) {
      const reason = `not valid JSON: ${(e as Error).message}`;
      firstError ||= `${where}: ${reason}`;
      rejected.push({ where, reason });
    }
  });
  if (!rows.length) throw new ConvertError(`${label}: no line is valid JSON, so this is neither JSON nor JSON Lines (${firstError})`);
  return { rows, rejected, format: 'jsonl' };
}

/** The row as a plain object, or a RowError. */
export function asObject(v: unknown): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new RowError(`not a JSON object (got ${kind(v)})`);
  return v as Record<string, unknown>;
}

/** A string field that must be present (it may be empty only when `allowEmpty`). */
export function field(o: Record<string, unknown>, key: string, opts: { allowEmpty?: boolean; optional?: boolean } = {}): string {
  if (!(key in o) || o[key] === undefined || o[key] === null) {
    if (opts.optional) return '';
    throw new RowError(`missing "${key}" (keys: ${Object.keys(o).join(', ') || 'none'})`);
  }
  const v = o[key];
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string') throw new RowError(`"${key}" is ${kind(v)}, not a string`);
  if (!opts.allowEmpty && !opts.optional && v.trim() === '') throw new RowError(`"${key}" is empty`);
  return v;
}

/**
 * Maps every row through `fn` (which returns one record, several, or throws RowError), validating each result.
 * A row whose mapping or validation fails is rejected whole.
 */
export function mapRows(shape: Shape, rows: Row[], rejectedBefore: Rejection[], fn: (value: unknown, where: string) => unknown | unknown[]): ConvertResult {
  const out: ConvertResult = { shape, records: [], where: [], rejected: [...rejectedBefore], rows: rows.length + rejectedBefore.length, accepted: 0 };
  for (const { value, where } of rows) {
    let mapped: unknown[];
    try {
      const m = fn(value, where);
      mapped = Array.isArray(m) ? m : [m];
      if (!mapped.length) throw new RowError('nothing to convert');
    } catch (e) {
      if (!(e instanceof RowError)) throw e;
      out.rejected.push({ where, reason: e.message });
      continue;
    }
    const valid: UnifiedRecord[] = [];
    let reason = '';
    for (const [i, m] of mapped.entries()) {
      const r = validateRecord(m);
      if ('reason' in r) {
        reason = mapped.length > 1 ? `item ${i}: ${r.reason}` : r.reason;
        break;
      }
      valid.push(r.record);
    }
    if (reason) {
      out.rejected.push({ where, reason });
      continue;
    }
    out.accepted++;
    for (const r of valid) {
      out.records.push(r);
      out.where.push(where);
    }
  }
  out.rejected.sort((a, b) => whereOrder(a.where) - whereOrder(b.where));
  return out;
}

function whereOrder(w: string): number {
  const m = /(\d+)\D*$/.exec(w);
  return m ? Number(m[1]) : 0;
}

/** A converter over JSON / JSON Lines rows whose objects map one-to-one (or one-to-many) onto records. */
export function jsonRowsConverter(shape: Shape, map: (o: Record<string, unknown>, fields: Record<string, string>) => unknown | unknown[]) {
  return async (bytes: Uint8Array, opts: { label?: string; fields?: Record<string, string | undefined> } = {}): Promise<ConvertResult> => {
    const label = opts.label ?? shape;
    const { rows, rejected } = readJsonRows(decodeText(bytes), label);
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.fields ?? {})) if (v) fields[k] = v;
    return mapRows(shape, rows, rejected, (v) => map(asObject(v), fields));
  };
}
