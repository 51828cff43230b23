/**
 * The AlpaGasus score histogram: 11 bars (scores 0, 0.5, ..., 5) drawn with uPlot, the threshold as the start of
 * the kept bars' colour, axes "score" and "records". Its accessible name says the counts in words.
 */
import { createEffect, onMount } from 'solid-js';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { chartTheme, followWidth } from '../chart-theme';
import type { ScoreHistogram } from '../../protocol/ingest-api';

const SCORES = Array.from({ length: 11 }, (_, i) => i / 2);

export function ScoreChart(props: { histogram: ScoreHistogram; threshold: number }) {
  let box!: HTMLDivElement;
  let plot: uPlot | null = null;
  // null, not 0: uPlot draws no bar for null, where a 0 would leave a hairline.
  const counts = (keep: boolean) => SCORES.map((s, i) => ((s >= props.threshold) === keep && props.histogram.bins[i]?.count ? props.histogram.bins[i].count : null));

  onMount(() => {
    const { accent, axis } = chartTheme();
    const bars = uPlot.paths.bars!({ size: [0.8, 40] });
    plot = new uPlot({
      width: Math.max(260, box.clientWidth),
      height: 200,
      legend: { live: false },
      scales: { x: { time: false, range: [-0.35, 5.35] }, y: { range: (_u, _lo, hi) => [0, Math.max(1, hi)] } },
      axes: [{ ...axis, label: 'score (0-5)', values: (_u, v) => v.map((x) => (Number.isInteger(x * 2) ? x.toFixed(1) : '')) }, { ...axis, label: 'records', size: 50 }],
      series: [
        { label: 'score' },
        { label: 'rejected', fill: '#b0b4ba', stroke: '#8a8f96', paths: bars, points: { show: false } },
        { label: 'kept', fill: accent, stroke: accent, paths: bars, points: { show: false } },
      ],
    }, [SCORES, counts(false), counts(true)], box);
    followWidth(plot, box, 200, 260);
  });

  createEffect(() => {
    const data = [SCORES, counts(false), counts(true)] as uPlot.AlignedData; // read first, so the effect tracks the props
    plot?.setData(data);
  });

  const total = () => props.histogram.bins.reduce((a, b) => a + b.count, 0);
  const words = () => props.histogram.bins.filter((b) => b.count).map((b) => `${b.count} at ${b.score.toFixed(1)}`).join(', ');
  return (
    <div class="score-chart" ref={box} role="img" data-total={total()}
      aria-label={`Score histogram: ${total()} rated${words() ? `: ${words()}` : ''}${props.histogram.unparsed ? `; ${props.histogram.unparsed} unparsable` : ''}`} />
  );
}
