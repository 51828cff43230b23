/**
 * Multiple-choice items from the shapes benchmarks ship in: CMMLU / C-Eval CSV (header `,Question,A,B,C,D,Answer`
 * or C-Eval's `id,question,A,B,C,D,answer[,explanation]`; the subject is the file name), MMCU-style JSON rows
 * `{类别, 题目, 选项, 答案}` (选项 a list or {A: ...} object, 答案 "B" or ["B"]; 类别 the subject) and the unified
 * record with options (`{instruction | question, options: [...] | {A: ...}, answer | output: "B", subject?}`).
 * Every item has 2-5 options lettered A-E and one answer letter. Rows with several answer letters (MMCU's
 * multi-select questions) are skipped and counted, not guessed. Not handled: free-form answers.
 */
import { parseCsv } from '../data/converters/csv';

export const LETTERS = ['A', 'B', 'C', 'D', 'E'] as const;

export interface McItem {
  id: string;
  subject: string;
  question: string;
  /** Option texts, in letter order (A first). */
  options: string[];
  /** 'A'..'E'. */
  answer: string;
}

export interface McParse {
  items: McItem[];
  /** Rows left out, with why (multi-select answers). */
  skipped: { where: string; reason: string }[];
}

export class McFormatError extends Error {
  override name = 'McFormatError';
}

type Obj = Record<string, unknown>;

/** The subject a file name implies: 'test/world_history.csv' -> 'world_history'; C-Eval's '_test' / '_dev' dropped. */
export function subjectFromName(name: string): string {
  const base = name.split(/[\\/]/).pop()!.replace(/\.[^.]+$/, '');
  return base.replace(/_(test|dev|val)$/, '');
}

/** True when a CSV header is a CMMLU / C-Eval table. */
export function isMcCsvHeader(line: string): boolean {
  const h = line.replace(/^\uFEFF/, '').split(',').map((c) => c.trim().toLowerCase());
  return ['question', 'a', 'b', 'answer'].every((k) => h.includes(k));
}

export function parseMcCsv(text: string, label: string, subject = subjectFromName(label)): McParse {
  const rows = parseCsv(text.replace(/^\uFEFF/, ''));
  if (!rows.length) throw new McFormatError(`${label}: the file is empty`);
  const header = rows[0].cells.map((c) => c.trim().toLowerCase());
  const col = (k: string) => header.indexOf(k);
  if (col('question') < 0 || col('answer') < 0) throw new McFormatError(`${label}: not a CMMLU / C-Eval table (the header needs Question, A, B, ..., Answer; got ${rows[0].cells.join(',')})`);
  const letters = LETTERS.filter((l) => col(l.toLowerCase()) >= 0);
  if (letters.length < 2) throw new McFormatError(`${label}: the header has fewer than two option columns (A, B, ...)`);
  const idCol = header[0] === '' ? 0 : col('id');
  const items: McItem[] = [];
  const skipped: McParse['skipped'] = [];
  for (const r of rows.slice(1)) {
    const where = `${label}: line ${r.line}`;
    if (r.error) throw new McFormatError(`${where}: ${r.error}`);
    if (r.cells.length !== header.length) throw new McFormatError(`${where}: ${r.cells.length} columns, the header has ${header.length}`);
    const answer = r.cells[col('answer')].trim().toUpperCase();
    const options = letters.map((l) => r.cells[col(l.toLowerCase())]);
    if (!letters.slice(0, options.length).includes(answer as (typeof LETTERS)[number])) {
      if (/^[A-E]{2,}$/.test(answer)) {
        skipped.push({ where, reason: `several answers (${answer})` });
        continue;
      }
      throw new McFormatError(`${where}: Answer '${answer}' is not one of ${letters.join(', ')}`);
    }
    items.push({ id: `${subject}/${idCol >= 0 ? r.cells[idCol] : items.length}`, subject, question: r.cells[col('question')], options, answer });
  }
  return { items, skipped };
}

/** Option texts from a list ("A. x" prefixes removed) or an {A: x} object. */
function optionList(v: unknown, where: string): string[] {
  if (Array.isArray(v)) {
    return v.map((o, i) => {
      if (typeof o !== 'string') throw new McFormatError(`${where}: option ${i} is not a string`);
      return o.trim().replace(/^[A-E][.．、:：)]\s*/, '');
    });
  }
  if (v && typeof v === 'object') {
    const o = v as Obj;
    const keys = LETTERS.filter((l) => l in o);
    if (keys.length !== Object.keys(o).length || keys.some((k, i) => k !== LETTERS[i])) throw new McFormatError(`${where}: options must be keyed A, B, C, ... in order, got ${Object.keys(o).join(', ')}`);
    return keys.map((k) => {
      if (typeof o[k] !== 'string') throw new McFormatError(`${where}: option ${k} is not a string`);
      return o[k] as string;
    });
  }
  throw new McFormatError(`${where}: options must be a list or an {A: ..., B: ...} object`);
}

/** One JSON row (MMCU keys, or the unified record with options) to an item; null when it is a multi-select row. */
export function mcItemFromRow(o: Obj, index: number, where: string, fallbackSubject: string): McItem | null {
  const mmcu = '题目' in o;
  const question = mmcu ? o['题目'] : (o.question ?? o.instruction);
  if (typeof question !== 'string') throw new McFormatError(`${where}: no question (题目, question or instruction)`);
  let options: string[];
  if (mmcu) options = optionList(o['选项'], where);
  else if ('options' in o) options = optionList(o.options, where);
  else options = optionList(Object.fromEntries(LETTERS.filter((l) => l in o).map((l) => [l, o[l]])), where);
  if (options.length < 2 || options.length > LETTERS.length) throw new McFormatError(`${where}: ${options.length} options; 2 to ${LETTERS.length} are supported`);
  const raw = mmcu ? o['答案'] : (o.answer ?? o.output);
  const answer = (Array.isArray(raw) ? raw.join('') : String(raw ?? '')).trim().toUpperCase().replace(/^[(（](.)[)）]$/, '$1');
  if (/^[A-E]{2,}$/.test(answer)) return null;
  if (!LETTERS.slice(0, options.length).includes(answer as (typeof LETTERS)[number])) throw new McFormatError(`${where}: answer '${answer}' is not one of ${LETTERS.slice(0, options.length).join(', ')}`);
  const subject = mmcu ? o['类别'] : o.subject;
  const s = typeof subject === 'string' && subject ? subject : fallbackSubject;
  const id = typeof o.id === 'string' || typeof o.id === 'number' ? String(o.id) : String(index);
  return { id: `${s}/${id}`, subject: s, question, options, answer };
}

/** True when a parsed JSON row looks like a multiple-choice item. */
export function isMcRow(o: unknown): boolean {
  if (!o || typeof o !== 'object' || Array.isArray(o)) return false;
  const r = o as Obj;
  if ('题目' in r && '选项' in r && '答案' in r) return true;
  const hasQ = typeof r.question === 'string' || typeof r.instruction === 'string';
  return hasQ && ('options' in r || ('A' in r && 'B' in r)) && ('answer' in r || 'output' in r);
}

export function parseMcRows(rows: { value: unknown; where: string }[], label: string): McParse {
  const items: McItem[] = [];
  const skipped: McParse['skipped'] = [];
  rows.forEach((r, i) => {
    if (!r.value || typeof r.value !== 'object' || Array.isArray(r.value)) throw new McFormatError(`${label}: ${r.where}: not a JSON object`);
    const it = mcItemFromRow(r.value as Obj, i, `${label}: ${r.where}`, subjectFromName(label));
    if (it) items.push(it);
    else skipped.push({ where: `${label}: ${r.where}`, reason: 'several answers' });
  });
  return { items, skipped };
}
