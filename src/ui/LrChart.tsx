/**
 * The learning-rate chart: the scheduled lr of every step (warmup ramp, then cosine/linear decay or constant),
 * drawn with uPlot like LossChart (axes "step" and "learning rate", values in e-notation). Redraws as steps
 * arrive; resizes with its container. It shows what the schedule did, not what it will do.
 */
import { Show, createEffect, onMount } from 'solid-js';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { chartTheme, followWidth } from './chart-theme';
import type { RunState } from './stores/run-state';

const HEIGHT = 160;

export function LrChart(props: { run: RunState }) {
  let box!: HTMLDivElement;
  let plot: uPlot | null = null;

  onMount(() => {
    const { axis } = chartTheme();
    plot = new uPlot({
      width: Math.max(280, box.clientWidth),
      height: HEIGHT,
      scales: { x: { time: false }, y: { range: (_u, _lo, hi) => [0, hi > 0 ? hi * 1.1 : 1] } },
      axes: [{ ...axis, label: 'step' }, { ...axis, label: 'learning rate', size: 64, values: (_u, vals) => vals.map((v) => (v === 0 ? '0' : v.toExponential(1))) }],
      series: [{ label: 'step' }, { label: 'lr', stroke: '#2e8540', width: 2, value: (_u, v) => (v === null ? '–' : v.toExponential(2)) }],
    }, [[], []], box);
    followWidth(plot, box, HEIGHT);
  });

  createEffect(() => {
    const r = props.run;
    plot?.setData([[...r.steps], [...r.lrs]] as uPlot.AlignedData);
  });

  const last = () => props.run.lrs[props.run.lrs.length - 1];
  return (
    <div class="loss-chart-wrap">
      <Show when={!props.run.steps.length}><p class="chart-empty muted">The learning rate of each step appears here: it ramps up over the warmup steps, then decays.</p></Show>
      <div class="lr-chart" ref={box} role="img" aria-label={`Learning-rate chart: ${props.run.lrs.length} steps${props.run.lrs.length ? `, last learning rate ${last().toExponential(2)}` : ''}`} data-points={props.run.lrs.length} />
    </div>
  );
}
