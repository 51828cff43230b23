/**
 * The live loss chart: train loss per step and eval loss at its steps, drawn with uPlot (axes "step" and "loss",
 * a legend, both series). Redraws when the run's series grow; resizes with its container. Colours follow the theme.
 */
import { Show, createEffect, onMount } from 'solid-js';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { chartTheme, followWidth } from './chart-theme';
import type { RunState } from './stores/run-state';
import { alignSeries } from './stores/chart-data';

export function LossChart(props: { run: RunState }) {
  let box!: HTMLDivElement;
  let plot: uPlot | null = null;

  onMount(() => {
    const { accent, axis } = chartTheme();
    plot = new uPlot({
      width: Math.max(280, box.clientWidth),
      height: 240,
      scales: { x: { time: false } },
      axes: [{ ...axis, label: 'step' }, { ...axis, label: 'loss (nats/token)', size: 56 }],
      series: [
        { label: 'step' },
        { label: 'train loss', stroke: accent, width: 2, spanGaps: true },
        { label: 'eval loss', stroke: '#d9730d', width: 2, spanGaps: true, points: { show: true, size: 6 } },
      ],
    }, [[], [], []], box);
    followWidth(plot, box, 240);
  });

  createEffect(() => {
    const r = props.run;
    const data = alignSeries(r.steps, r.loss, r.evalSteps, r.evalLoss);
    plot?.setData(data as uPlot.AlignedData);
  });

  return (
    <div class="loss-chart-wrap">
      <Show when={!props.run.steps.length}><p class="chart-empty muted">The loss curve appears here at the first step: it should go down as the adapter learns.</p></Show>
      <div class="loss-chart" ref={box} role="img" aria-label={`Loss chart: ${props.run.steps.length} training steps${props.run.loss.length ? `, last train loss ${props.run.loss[props.run.loss.length - 1].toFixed(3)}` : ''}`} data-points={props.run.steps.length} />
    </div>
  );
}
