/**
 * The loss chart's data: uPlot wants one x array and y arrays of the same length, so train (every step) and eval
 * (every N steps) losses are aligned on the union of their steps, with null where a series has no point.
 */

/** Aligns train and eval series on one x axis (the union of their steps), null where a series has no point. */
export function alignSeries(steps: number[], loss: number[], evalSteps: number[], evalLoss: number[]): [number[], (number | null)[], (number | null)[]] {
  const xs = [...new Set([...steps, ...evalSteps])].sort((a, b) => a - b);
  const t = new Map(steps.map((s, i) => [s, loss[i]]));
  const v = new Map(evalSteps.map((s, i) => [s, evalLoss[i]]));
  return [xs, xs.map((x) => t.get(x) ?? null), xs.map((x) => v.get(x) ?? null)];
}
