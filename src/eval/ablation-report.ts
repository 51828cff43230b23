/**
 * The ablation report as one self-contained HTML page (opens offline: inline CSS and inline SVG charts, no script,
 * no external URL): the shared settings, a table per variant (what changed, records, final train loss, held-out loss
 * and perplexity, loss per source, the task's accuracy or perplexity, time), the training loss curves of every
 * variant on one chart, and bars of the held-out loss and of the task metric. An honest note says when the model is
 * the tiny embedded one. Also the plain-text summary table the CLI prints. Every text from the result is escaped.
 */
import type { AblationResult, AblationVariantResult } from './ablation';

const COLORS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#bf3989', '#0a7b83', '#57606a'];

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const fmt = (x: number | undefined, d = 4) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));
const pct = (x: number | undefined) => (x === undefined ? '–' : `${(100 * x).toFixed(1)}%`);

/** What a variant changed, in words. */
export function changeText(v: AblationVariantResult): string {
  return v.change.kind === 'base' ? 'the base recipe' : v.change.kind === 'without' ? `removed ${v.change.source}` : `added ${v.change.source}`;
}

/** The task column's value for a variant: accuracy, or the perplexity of a perplexity file. */
function taskValue(v: AblationVariantResult): number | undefined {
  return v.task ? (v.task.accuracy ?? v.task.perplexity) : undefined;
}

/** Rows of the summary table (shared by the HTML and the text form). */
export function summaryRows(r: AblationResult): string[][] {
  const head = ['variant', 'what changed', 'records', 'final train loss', 'held-out loss', 'perplexity'];
  if (r.task) head.push(r.task.kind === 'perplexity' ? `${r.task.label} ppl` : `${r.task.label} accuracy`);
  head.push('time (s)');
  const rows = r.variants.map((v) => {
    const row = [v.label, changeText(v), String(v.records), fmt(v.finalTrainLoss), fmt(v.heldOut.loss), fmt(v.heldOut.perplexity, 3)];
    if (r.task) row.push(v.task?.accuracy !== undefined ? pct(v.task.accuracy) : fmt(v.task?.perplexity, 3));
    row.push((v.seconds.train + v.seconds.eval).toFixed(1));
    return row;
  });
  return [head, ...rows];
}

/** The summary as aligned plain text (the CLI's table). */
export function summaryText(r: AblationResult): string {
  const rows = summaryRows(r);
  const w = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows.map((row) => row.map((cell, c) => (c < 2 ? cell.padEnd(w[c]) : cell.padStart(w[c]))).join('  ')).join('\n');
}

interface Series {
  name: string;
  points: { x: number; y: number }[];
}

const W = 640, H = 300, PAD = { l: 56, r: 16, t: 16, b: 40 };

function ticks(lo: number, hi: number, n = 5): number[] {
  if (hi === lo) return [lo];
  return Array.from({ length: n + 1 }, (_, i) => lo + ((hi - lo) * i) / n);
}

/** A line chart of several series (inline SVG). */
export function lineChart(series: Series[], xLabel: string, yLabel: string): string {
  const pts = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.y));
  if (!pts.length) return '<p>No points to draw.</p>';
  const x0 = Math.min(...pts.map((p) => p.x)), x1 = Math.max(...pts.map((p) => p.x));
  const y0 = Math.min(...pts.map((p) => p.y)), y1 = Math.max(...pts.map((p) => p.y));
  const sx = (x: number) => PAD.l + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (W - PAD.l - PAD.r);
  const sy = (y: number) => H - PAD.b - (y1 === y0 ? 0.5 : (y - y0) / (y1 - y0)) * (H - PAD.t - PAD.b);
  const grid = ticks(y0, y1).map((y) => `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" class="grid"/><text x="${PAD.l - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end">${y.toFixed(3)}</text>`).join('');
  const xt = ticks(x0, x1, Math.min(5, Math.max(1, x1 - x0))).map((x) => `<text x="${sx(x).toFixed(1)}" y="${H - PAD.b + 16}" text-anchor="middle">${Math.round(x)}</text>`).join('');
  const lines = series.map((s, i) => {
    const d = s.points.filter((p) => Number.isFinite(p.y)).map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
    return `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" points="${d}"><title>${escapeHtml(s.name)}</title></polyline>`;
  }).join('');
  const legend = series.map((s, i) => `<span class="key"><i style="background:${COLORS[i % COLORS.length]}"></i>${escapeHtml(s.name)}</span>`).join(' ');
  return `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(yLabel)} by ${escapeHtml(xLabel)}">${grid}${xt}`
    + `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${H - PAD.b}" y2="${H - PAD.b}" class="axis"/>${lines}`
    + `<text x="${(W + PAD.l) / 2}" y="${H - 6}" text-anchor="middle">${escapeHtml(xLabel)}</text></svg><div class="legend">${legend}</div>`;
}

/** A horizontal bar chart from 0, one bar per variant, the value written at the bar's end (inline SVG); `top` fixes the scale (1 for accuracy). */
export function barChart(bars: { name: string; value: number; text: string }[], label: string, top?: number): string {
  const ok = bars.filter((b) => Number.isFinite(b.value));
  if (!ok.length) return '<p>No values to draw.</p>';
  const max = top ?? Math.max(...ok.map((b) => b.value), 1e-12);
  const row = 28, left = 150, h = bars.length * row + 8;
  const body = bars.map((b, i) => {
    const w = Number.isFinite(b.value) ? Math.max(1, (b.value / max) * (W - left - 90)) : 0;
    const y = 4 + i * row;
    return `<text x="${left - 8}" y="${y + 17}" text-anchor="end">${escapeHtml(b.name)}</text>`
      + `<rect x="${left}" y="${y + 4}" width="${w.toFixed(1)}" height="${row - 10}" fill="${COLORS[i % COLORS.length]}"><title>${escapeHtml(`${b.name}: ${b.text}`)}</title></rect>`
      + `<text x="${(left + w + 6).toFixed(1)}" y="${y + 17}">${escapeHtml(b.text)}</text>`;
  }).join('');
  return `<svg viewBox="0 0 ${W} ${h}" role="img" aria-label="${escapeHtml(label)}">${body}</svg>`;
}

function table(rows: string[][]): string {
  const [head, ...body] = rows;
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>`
    + body.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('') + '</tbody></table>';
}

/** Held-out loss per source, one column per source (what removing or adding a source cost on its own data). */
function sourceTable(r: AblationResult): string {
  const ids = Object.keys(r.heldOut.bySource);
  return table([['variant', ...ids.map((id) => `${id} (${r.heldOut.bySource[id]} held out)`)], ...r.variants.map((v) => [v.label, ...ids.map((id) => fmt(v.heldOut.bySource[id]?.loss))])]);
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;max-width:760px;margin:2em auto;padding:0 1em;color:#1f2328}
table{border-collapse:collapse;margin:1em 0;font-variant-numeric:tabular-nums}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:right}
th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}th{background:#f6f8fa}
svg{width:100%;height:auto;font-size:11px}svg text{fill:#57606a}.grid{stroke:#eaeef2}.axis{stroke:#8c959f}
.legend{margin:.3em 0 1em}.key{margin-right:1em;white-space:nowrap}.key i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
.note{background:#fff8c5;border:1px solid #d4a72c;padding:.6em .8em;border-radius:6px}code{font-size:90%}`;

/** The whole report: one HTML string with no external reference. */
export function renderAblationReport(r: AblationResult): string {
  const t = r.settings.train, p = r.settings.peft as { peft_type: string; r?: number; lora_alpha?: number };
  const settings = `${escapeHtml(p.peft_type)}${p.r !== undefined ? ` r=${p.r}` : ''}${p.lora_alpha !== undefined ? ` alpha=${p.lora_alpha}` : ''}, `
    + `${t.maxSteps ?? `${t.epochs} epochs of`} steps, batch ${t.batchSize}×${t.gradAccum}, lr ${t.lr}, ${escapeHtml(t.scheduler)} schedule, cutoff ${t.cutoffLen} tokens, `
    + `mix ${escapeHtml(r.settings.strategy)}, seed ${t.seed} for the mix, the data order, the adapter init and dropout (every variant).`;
  const note = r.model.embedded
    ? '<p class="note">The model is webift-tiny, the small model embedded in webift for demonstrations. Its numbers show that the ablation runs and what it measures; they say nothing about how these data sources affect a real model. Rerun with a real base model for findings.</p>'
    : '';
  const task = r.task;
  const taskBars = task
    ? `<h2>${escapeHtml(task.label)}: ${task.kind === 'perplexity' ? 'perplexity' : 'accuracy'} (${task.n} items)</h2>`
      + barChart(r.variants.map((v) => ({ name: v.label, value: taskValue(v) ?? NaN, text: v.task?.accuracy !== undefined ? pct(v.task.accuracy) : fmt(v.task?.perplexity, 3) })), `${task.label} by variant`, task.kind === 'perplexity' ? undefined : 1)
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Ablation: ${escapeHtml(r.name)}</title><style>${CSS}</style></head><body>
<h1>Ablation: ${escapeHtml(r.name)}</h1>
<p>Model ${escapeHtml(r.model.label)}. ${settings} Held-out set: ${r.heldOut.total} examples taken from every source before mixing, the same for every variant. Run ${escapeHtml(r.startedAt)}, ${r.seconds.toFixed(0)} s.</p>
${note}
<h2>Results</h2>
${table(summaryRows(r))}
<p>Final train loss: the mean of the last 10 steps' losses. Held-out loss: mean negative log-likelihood per learned token; perplexity = exp(loss).</p>
<h2>Training loss</h2>
${lineChart(r.variants.map((v) => ({ name: v.label, points: v.lossCurve.map((q) => ({ x: q.step, y: q.loss })) })), 'optimizer step', 'training loss')}
<h2>Held-out loss</h2>
${barChart(r.variants.map((v) => ({ name: v.label, value: v.heldOut.loss, text: fmt(v.heldOut.loss) })), 'held-out loss by variant')}
<h3>Held-out loss per source</h3>
${sourceTable(r)}
${taskBars}
<h2>Mix per variant</h2>
${table([['variant', 'records per source'], ...r.variants.map((v) => [v.label, v.mix.map((m) => `${m.id}: ${m.taken}`).join(', ')])])}
</body></html>
`;
}
