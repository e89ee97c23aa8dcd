/** Fusion of the retrievers' best-first lists into one score per passage. */

/** Reciprocal rank fusion of several best-first lists of ids. */
export function reciprocalRankFusion(lists: Array<{ ids: number[]; weight: number }>, k = 60): Map<number, number> {
  const scores = new Map<number, number>();
  for (const { ids, weight } of lists) {
    ids.forEach((id, rank) => {
      scores.set(id, (scores.get(id) ?? 0) + weight / (k + rank + 1));
    });
  }
  return scores;
}

/**
 * Weighted sum of scores, each list scaled so its best score is 1 (and, for lists that can be
 * negative such as cosine similarities, its worst 0): a passage missing from a list gets 0 there.
 */
export function linearFusion(lists: Array<{ scores: Array<{ id: number; score: number }>; weight: number }>): Map<number, number> {
  const fused = new Map<number, number>();
  for (const { scores, weight } of lists) {
    if (scores.length === 0) continue;
    const max = Math.max(...scores.map((s) => s.score));
    const min = Math.min(0, ...scores.map((s) => s.score));
    const range = max - min || 1;
    for (const { id, score } of scores) fused.set(id, (fused.get(id) ?? 0) + (weight * (score - min)) / range);
  }
  return fused;
}
