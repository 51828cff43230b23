/**
 * Dropped CSV files as unified records: RFC 4180 quoting (quotes, doubled quotes, newlines inside quotes), a header
 * row naming `instruction`, `input` (optional) and `output` columns (also `prompt`/`response`). Rows that lack an
 * instruction or output are reported, not dropped silently. Not handled: other delimiters, multi-turn CSV.
 */
import type { UnifiedRecord, Rejection } from '../data/records';

export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [], field = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

export function csvRecords(text: string, label: string): { records: UnifiedRecord[]; rejected: Rejection[] } {
  const rows = parseCsvRows(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  if (!rows.length) throw new Error(`${label}: the file is empty`);
  const head = rows[0].map((h) => h.trim().toLowerCase());
  const col = (...names: string[]) => head.findIndex((h) => names.includes(h));
  const ci = col('instruction', 'prompt', 'question'), ii = col('input', 'context'), oi = col('output', 'response', 'answer');
  if (ci < 0 || oi < 0) throw new Error(`${label}: the header row must name an 'instruction' and an 'output' column (found: ${head.join(', ')})`);
  const records: UnifiedRecord[] = [], rejected: Rejection[] = [];
  rows.slice(1).forEach((r, k) => {
    const instruction = r[ci] ?? '', output = r[oi] ?? '';
    if (!instruction.trim() || !output.trim()) rejected.push({ where: `row ${k + 2}`, reason: `empty ${!instruction.trim() ? 'instruction' : 'output'}` });
    else records.push({ instruction, input: ii >= 0 ? (r[ii] ?? '') : '', output });
  });
  return { records, rejected };
}
