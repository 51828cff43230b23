/**
 * Edit distance for "did you mean" hints: optimal string alignment (Levenshtein plus swapping two adjacent
 * characters, so "trian" is one edit from "train"), and the closest of a list of candidates within a small limit.
 */

/** Insertions, deletions, substitutions and adjacent transpositions needed to turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const m = a.length, n = b.length;
  // d[i][j]: distance between a[0, i) and b[0, j); three rows are enough for the transposition look-back.
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = new Array<number>(n + 1);
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) cur[j] = Math.min(cur[j], prev2[j - 2] + 1);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[n];
}

/**
 * The candidate nearest to `input`, or undefined when none is close: at most a third of the input's length in
 * edits (at least 1, at most 3), so a typo gets a hint and an unrelated word does not. Ties go to the earlier one.
 */
export function closest(input: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(input.length / 3)));
  let best: string | undefined;
  let bestD = limit + 1;
  for (const c of candidates) {
    const d = editDistance(input, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
}
