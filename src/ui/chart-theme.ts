/**
 * The uPlot look every chart shares (loss, learning rate, filter scores, classroom): colours read from the page's
 * CSS variables so light and dark themes both work, and one axis style. Read at mount time; no state.
 */

/** A CSS variable of the page, or `fallback` when it is unset. */
export function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** The muted foreground, the grid colour, the accent, and an axis style built from them. */
export function chartTheme() {
  const fg = cssVar('--muted', '#5a5f66'), grid = cssVar('--line', '#d9dbde'), accent = cssVar('--accent', '#1f5fbf');
  return { fg, grid, accent, axis: { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } } };
}
