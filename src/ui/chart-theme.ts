/**
 * What every uPlot chart shares (loss, learning rate, filter scores, classroom): colours read from the page's CSS
 * variables so light and dark themes both work, one axis style, and following the container's width until unmount.
 */
import { onCleanup } from 'solid-js';
import type uPlot from 'uplot';

/** A CSS variable of the page, or `fallback` when it is unset. */
export function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** The muted foreground, the grid colour, the accent, and an axis style built from them. */
export function chartTheme() {
  const fg = cssVar('--muted', '#5a5f66'), grid = cssVar('--line', '#d9dbde'), accent = cssVar('--accent', '#1f5fbf');
  return { fg, grid, accent, axis: { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } } };
}

/** Keeps `plot` as wide as `box` (at least `minWidth`) at a fixed height; disconnects and destroys it on cleanup. */
export function followWidth(plot: uPlot, box: HTMLElement, height: number, minWidth = 280): void {
  const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(minWidth, box.clientWidth), height }));
  ro.observe(box);
  onCleanup(() => {
    ro.disconnect();
    plot.destroy();
  });
}
