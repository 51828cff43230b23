/**
 * The judge's result as a stacked horizontal bar per test set (and overall): win, tie and lose of A against B as
 * shares of the questions counted, AlpaGasus's figure 1 layout, in plain SVG. Its accessible name says the counts
 * in words; unparsed questions (no score line in a review) are named there and left out of the bars.
 */
import { For } from 'solid-js';
import type { JudgeTally } from '../../protocol/eval-api';

const PARTS = [
  { key: 'win', label: 'win', colour: '#2f9e44' },
  { key: 'tie', label: 'tie', colour: '#b0b4ba' },
  { key: 'lose', label: 'lose', colour: '#d9480f' },
] as const;

const ROW = 30, LABEL = 110, WIDTH = 520;

export function describeTally(name: string, t: JudgeTally): string {
  return `${name}: ${t.win} win, ${t.tie} tie, ${t.lose} lose${t.unparsed ? `, ${t.unparsed} unparsed` : ''}`;
}

export function WinTieLoseChart(props: { summary: JudgeTally & { bySet: Record<string, JudgeTally> } }) {
  const rows = () => [...Object.entries(props.summary.bySet), ...(Object.keys(props.summary.bySet).length > 1 ? [['overall', props.summary] as [string, JudgeTally]] : [])];
  const label = () => `Judge results (A against B): ${rows().map(([n, t]) => describeTally(n, t)).join('; ')}`;
  return (
    <figure class="wtl-chart">
      <svg role="img" aria-label={label()} viewBox={`0 0 ${WIDTH} ${rows().length * ROW + 8}`} width="100%" data-sets={rows().length}>
        <For each={rows()}>
          {([name, t], i) => {
            const counted = t.win + t.tie + t.lose;
            const span = WIDTH - LABEL - 10;
            let x = LABEL;
            return (
              <g transform={`translate(0 ${i() * ROW + 4})`}>
                <text x={LABEL - 8} y={ROW / 2 + 4} text-anchor="end" class="wtl-label">{name}</text>
                <For each={PARTS}>
                  {(p) => {
                    const w = counted ? (span * t[p.key]) / counted : 0;
                    const at = x;
                    x += w;
                    return w > 0 ? (
                      <g>
                        <rect x={at} y={3} width={w} height={ROW - 8} fill={p.colour} />
                        {w > 24 && <text x={at + w / 2} y={ROW / 2 + 4} text-anchor="middle" class="wtl-count">{t[p.key]}</text>}
                      </g>
                    ) : null;
                  }}
                </For>
              </g>
            );
          }}
        </For>
      </svg>
      <figcaption class="wtl-legend">
        <For each={PARTS}>{(p) => <span><i style={{ background: p.colour }} /> {p.label}</span>}</For>
        <span class="muted">of A against B, each question asked in both orders</span>
      </figcaption>
    </figure>
  );
}
