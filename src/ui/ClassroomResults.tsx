/**
 * The classroom results (stores/classroom.ts): a table of held-out arithmetic and Chinese exact match per training
 * condition (mean ± std over seeds, min..max on hover) and a grouped uPlot bar chart of the means with min..max
 * whiskers. Absent or malformed file: nothing is shown. The numbers are whatever `npm run classroom` measured.
 */
import { For, onMount } from 'solid-js';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { chartTheme, followWidth } from './chart-theme';
import { Card } from './fields';
import { formatSpread, parseClassroom, type Classroom, type Spread } from './stores/classroom';

export async function loadClassroom(): Promise<Classroom | null> {
  try {
    const res = await fetch('/data/classroom-results.json');
    if (!res.ok || /text\/html/.test(res.headers.get('content-type') ?? '')) return null;
    return parseClassroom(await res.json());
  } catch {
    return null;
  }
}

const OFFSET = 0.18;

function ClassroomChart(props: { data: Classroom }) {
  let box!: HTMLDivElement;
  onMount(() => {
    const rows = props.data.rows, n = rows.length;
    // Each condition i has two bars: arithmetic at i - OFFSET, Chinese at i + OFFSET (null at the other's slot).
    const xs = rows.flatMap((_, i) => [i - OFFSET, i + OFFSET]);
    const col = (k: 'arithmetic' | 'chinese', side: 0 | 1) => rows.flatMap((r) => (side === 0 ? [100 * r[k].mean, null] : [null, 100 * r[k].mean]));
    const spreads: Spread[] = rows.flatMap((r) => [r.arithmetic, r.chinese]);
    const bars = uPlot.paths.bars!({ size: [0.3, 60], align: 0 });
    const { fg, accent, axis } = chartTheme();
    const whiskers = (u: uPlot) => {
      const ctx = u.ctx;
      ctx.save();
      ctx.strokeStyle = fg;
      ctx.lineWidth = Math.max(1, devicePixelRatio);
      spreads.forEach((s, j) => {
        const x = u.valToPos(xs[j], 'x', true), lo = u.valToPos(100 * s.min, 'y', true), hi = u.valToPos(100 * s.max, 'y', true), w = 4 * devicePixelRatio;
        ctx.beginPath();
        ctx.moveTo(x, lo); ctx.lineTo(x, hi);
        ctx.moveTo(x - w, lo); ctx.lineTo(x + w, lo);
        ctx.moveTo(x - w, hi); ctx.lineTo(x + w, hi);
        ctx.stroke();
      });
      ctx.restore();
    };
    const ymax = Math.max(10, ...spreads.map((s) => 100 * s.max)) * 1.15;
    const plot = new uPlot({
      width: Math.max(280, box.clientWidth), height: 220,
      scales: { x: { time: false, range: [-0.6, n - 0.4] }, y: { range: [0, ymax] } },
      axes: [
        { ...axis, splits: () => rows.map((_, i) => i), values: (_u, ticks) => ticks.map((t) => rows[Math.round(t)]?.id ?? '') },
        { ...axis, label: 'exact match %', size: 50 },
      ],
      series: [
        { label: 'condition' },
        { label: 'held-out arithmetic', fill: accent, stroke: accent, paths: bars, points: { show: false } },
        { label: 'Chinese prompts', fill: '#d9730d', stroke: '#d9730d', paths: bars, points: { show: false } },
      ],
      hooks: { draw: [whiskers] },
    }, [xs, col('arithmetic', 0), col('chinese', 1)] as uPlot.AlignedData, box);
    followWidth(plot, box, 220);
  });
  const d = () => props.data;
  return <div class="classroom-chart" ref={box} role="img" aria-label={`Bar chart of exact match by training data: ${d().rows.map((r) => `${r.id} arithmetic ${formatSpread(r.arithmetic)}%, Chinese ${formatSpread(r.chinese)}%`).join('; ')}`} />;
}

export function ClassroomResults(props: { data: Classroom }) {
  const d = () => props.data;
  const range = (s: Spread) => `min ${(100 * s.min).toFixed(0)}, max ${(100 * s.max).toFixed(0)}`;
  return (
    <Card title="Classroom results: does chain-of-thought data help?">
      <p class="muted">Same base, LoRA and {d().steps} steps per run; seeds {d().seeds.join(', ')}. Exact match %, mean ± std over seeds (whiskers: min..max). Made by <code>{d().command}</code>.</p>
      <table class="classroom-table">
        <thead><tr><th>Training data</th><th>Held-out arithmetic (n={d().heldout.arithmetic})</th><th>Chinese prompts (n={d().heldout.chinese})</th></tr></thead>
        <tbody>
          <For each={d().rows}>{(r) => <tr><td>{r.label}</td><td title={range(r.arithmetic)}>{formatSpread(r.arithmetic)}</td><td title={range(r.chinese)}>{formatSpread(r.chinese)}</td></tr>}</For>
        </tbody>
      </table>
      <ClassroomChart data={d()} />
    </Card>
  );
}
