/**
 * Summary of a tokenized dataset for the UI and the CLI: count, token totals (all and learned), length extremes and
 * mean, the share of truncated examples, and a token-length histogram. Buckets are [lo, hi) with power-of-two
 * edges (0, 16, 32, 64, ... up past the longest) unless edges are given. Not handled: per-source breakdowns of a mix.
 */
import { learnedCount } from './tokenize-example';

export interface StatsExample {
  ids: ArrayLike<number>;
  labels?: Int32Array;
  truncated?: boolean;
}

export interface DatasetStats {
  count: number;
  /** Sum of example lengths (eos included). */
  totalTokens: number;
  /** Tokens the loss learns (labels != -100 at t >= 1); 0 when examples carry no labels. */
  learnedTokens: number;
  minLength: number;
  maxLength: number;
  meanLength: number;
  /** Examples cut at cutoffLen (or whose eos did not fit). */
  truncated: number;
  truncatedFraction: number;
  histogram: { lo: number; hi: number; count: number }[];
}

function powerOfTwoEdges(max: number): number[] {
  const edges = [0, 16];
  while (edges[edges.length - 1] <= max) edges.push(edges[edges.length - 1] * 2);
  return edges;
}

/** `edges`: ascending bucket bounds, e.g. [0, 128, 256, 512]; lengths past the last edge go in the last bucket. */
export function datasetStats(examples: readonly StatsExample[], opts: { edges?: number[] } = {}): DatasetStats {
  const count = examples.length;
  let totalTokens = 0, learnedTokens = 0, truncated = 0, minLength = count ? Infinity : 0, maxLength = 0;
  for (const e of examples) {
    const L = e.ids.length;
    totalTokens += L;
    minLength = Math.min(minLength, L);
    maxLength = Math.max(maxLength, L);
    if (e.labels) learnedTokens += learnedCount(e.labels);
    if (e.truncated) truncated++;
  }
  const edges = opts.edges ?? powerOfTwoEdges(maxLength);
  if (edges.length < 2 || edges.some((x, i) => i > 0 && x <= edges[i - 1])) throw new Error(`histogram edges must be ascending, at least two: ${edges}`);
  const histogram = edges.slice(0, -1).map((lo, i) => ({ lo, hi: edges[i + 1], count: 0 }));
  for (const e of examples) {
    let b = histogram.findIndex((h) => e.ids.length < h.hi);
    if (b < 0) b = histogram.length - 1;
    histogram[b].count++;
  }
  return {
    count,
    totalTokens,
    learnedTokens,
    minLength,
    maxLength,
    meanLength: count ? totalTokens / count : 0,
    truncated,
    truncatedFraction: count ? truncated / count : 0,
    histogram,
  };
}
