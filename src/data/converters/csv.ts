/**
 * CSV (RFC 4180): a header row, then one record per row; fields may be quoted with "" as an escaped quote and may
 * span lines. Columns map by name (default instruction, input, output; `fields` renames, e.g. {output: 'response'});
 * a missing `input` column reads as "". A row with the wrong number of columns, or an unterminated quote, is
 * rejected with the line it starts on. Not handled: other delimiters (TSV goes to flan-cot-tsv), encodings but UTF-8.
 */
import { decodeText, mapRows, type Row } from './rows';
import { ConvertError, RowError, type Converter } from './types';

export interface CsvRow {
  cells: string[];
  /** 1-based line where the row starts. */
  line: number;
  error?: string;
}

/** Splits CSV text into rows of cells (quotes removed, "" unescaped). */
export function parseCsv(text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let any = false; // the current row has content
  const endRow = () => {
    cells.push(cell);
    if (any || cells.length > 1 || cell !== '') rows.push({ cells, line: start });
    cells = [];
    cell = '';
    any = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        cell += c;
      }
      continue;
    }
    if (c === '"' && cell === '') {
      quoted = true;
      any = true;
    } else if (c === ',') {
      cells.push(cell);
      cell = '';
      any = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      start = line;
    } else cell += c;
  }
  if (quoted) {
    rows.push({ cells: [], line: start, error: 'unterminated quoted field (a " is never closed)' });
    return rows;
  }
  endRow();
  return rows;
}

export const csvConverter: Converter = {
  shape: 'csv',
  describe: 'CSV with a header: instruction,input,output columns (or --fields renames)',
  async convert(bytes, opts = {}) {
    const label = opts.label ?? 'csv';
    const rows = parseCsv(decodeText(bytes));
    if (!rows.length) throw new ConvertError(`${label}: the file is empty`);
    const header = rows[0].cells.map((h) => h.trim());
    const f = opts.fields ?? {};
    const col = (k: 'instruction' | 'input' | 'output') => header.indexOf(f[k] ?? k);
    const idx = { instruction: col('instruction'), input: col('input'), output: col('output') };
    for (const k of ['instruction', 'output'] as const) {
      if (idx[k] < 0) throw new ConvertError(`${label}: no "${f[k] ?? k}" column in the header (columns: ${header.join(', ')})`);
    }
    const body: Row[] = rows.slice(1).map((r) => ({ value: r, where: `line ${r.line}` }));
    return mapRows('csv', body, [], (v) => {
      const r = v as CsvRow;
      if (r.error) throw new RowError(r.error);
      if (r.cells.length !== header.length) throw new RowError(`${r.cells.length} columns, the header has ${header.length}`);
      return { instruction: r.cells[idx.instruction], input: idx.input >= 0 ? r.cells[idx.input] : '', output: r.cells[idx.output] };
    });
  },
};
