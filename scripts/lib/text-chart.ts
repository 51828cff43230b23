/**
 * A compact text chart of a loss curve for terminals: `height` rows of `width` columns, each column the mean of
 * its bucket of steps, drawn with '*' and labelled with the y range and the step range. ASCII only.
 */
export function textChart(values: number[], opts: { width?: number; height?: number; label?: string } = {}): string {
  if (!values.length) return '(no data)';
  const width = Math.min(opts.width ?? 60, values.length), height = opts.height ?? 8;
  const cols = Array.from({ length: width }, (_, c) => {
    const a = Math.floor((c * values.length) / width), b = Math.max(a + 1, Math.floor(((c + 1) * values.length) / width));
    const s = values.slice(a, b);
    return s.reduce((x, y) => x + y, 0) / s.length;
  });
  const lo = Math.min(...cols), hi = Math.max(...cols), span = hi - lo || 1;
  const rows: string[] = [];
  for (let r = height - 1; r >= 0; r--) {
    const line = cols.map((v) => (Math.round(((v - lo) / span) * (height - 1)) === r ? '*' : ' ')).join('');
    const y = r === height - 1 ? hi.toFixed(2) : r === 0 ? lo.toFixed(2) : '';
    rows.push(`${y.padStart(7)} |${line}`);
  }
  rows.push(`${''.padStart(7)} +${'-'.repeat(width)}`);
  rows.push(`${''.padStart(9)}step 1${`step ${values.length}`.padStart(width - 6)}${opts.label ? `  (${opts.label})` : ''}`);
  return rows.join('\n');
}

/**
 * Horizontal bars on a 0..100% scale for terminals: one row per label, '#' up to the mean and '[' ']' at the
 * min and max over seeds (one '|' when they fall in one column), then the mean and range as numbers. ASCII only.
 */
export function textBars(title: string, rows: { label: string; mean: number; min: number; max: number }[], width = 40): string {
  const pad = Math.max(...rows.map((r) => r.label.length)) + 1;
  const col = (x: number) => Math.min(width - 1, Math.floor(x * width));
  const lines = rows.map((r) => {
    const cells: string[] = Array.from({ length: width }, (_, c) => (c < Math.round(r.mean * width) ? '#' : ' '));
    const lo = col(r.min), hi = col(r.max);
    if (lo === hi) cells[lo] = '|';
    else [cells[lo], cells[hi]] = ['[', ']'];
    const range = r.min === r.max ? '' : ` (${(100 * r.min).toFixed(0)}..${(100 * r.max).toFixed(0)})`;
    return `${r.label.padEnd(pad)}|${cells.join('')}| ${(100 * r.mean).toFixed(1)}${range}`;
  });
  return [title, ...lines, `${''.padEnd(pad)}0${'100%'.padStart(width + 1)}`].join('\n');
}
