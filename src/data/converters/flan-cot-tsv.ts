/**
 * FLAN v2 CoT TSVs (`flan/v2/cot_data/*_train.tsv`, also Alpaca-CoT's origin_cot_data): no header, three
 * tab-separated columns question, answer, rationale, newlines escaped as literal `\n`. Each row is rendered with one
 * fixed CoT template (below: the zero-shot "Let's think step by step" cue of Kojima et al. and FLAN's "So the answer
 * is" ending), not FLAN's randomly drawn templates, so the output is reproducible. Rows without exactly 3 non-empty
 * columns are rejected with their line.
 */
import { decodeText, mapRows, type Row } from './rows';
import { unescapeNewlines } from './unescape';
import { ConvertError, RowError, type Converter } from './types';

export const COT_TEMPLATE = {
  instruction: "{question}\nLet's think step by step.",
  output: '{rationale}\nSo the answer is {answer}.',
};

export function renderCot(question: string, answer: string, rationale: string): { instruction: string; input: string; output: string } {
  const fill = (t: string) => t.replace('{question}', () => question).replace('{rationale}', () => rationale).replace('{answer}', () => answer);
  return { instruction: fill(COT_TEMPLATE.instruction), input: '', output: fill(COT_TEMPLATE.output) };
}

const COLUMNS = ['question', 'answer', 'rationale'];

export const flanCotTsvConverter: Converter = {
  shape: 'flan-cot-tsv',
  describe: 'FLAN CoT TSV: question<TAB>answer<TAB>rationale, rendered with a CoT template',
  async convert(bytes, opts = {}) {
    const label = opts.label ?? 'flan-cot-tsv';
    const text = decodeText(bytes);
    if (text.trim() === '') throw new ConvertError(`${label}: the file is empty`);
    const rows: Row[] = [];
    text.split('\n').forEach((raw, i) => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line.trim() !== '') rows.push({ value: line, where: `line ${i + 1}` });
    });
    return mapRows('flan-cot-tsv', rows, [], (v) => {
      const cols = (v as string).split('\t');
      if (cols.length !== 3) throw new RowError(`expected 3 tab-separated columns (question, answer, rationale), got ${cols.length}`);
      cols.forEach((c, j) => {
        if (c.trim() === '') throw new RowError(`column ${j + 1} (${COLUMNS[j]}) is empty`);
      });
      const [q, a, r] = cols.map((c) => unescapeNewlines(c.trim()));
      return renderCot(q, a, r);
    });
  },
};
