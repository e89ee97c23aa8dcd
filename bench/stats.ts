/** Pure helpers for the benchmarks (unit-tested in tests/bench-stats.test.ts). */

/** Percentile by linear interpolation between closest ranks (p in [0, 100]); NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  if (p < 0 || p > 100 || Number.isNaN(p)) throw new RangeError(`percentile ${p} is outside [0, 100]`);
  const sorted = [...samples].sort((a, b) => a - b);
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export interface Distribution {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function distribution(samples: readonly number[]): Distribution {
  const r = (x: number): number => Math.round(x * 100) / 100;
  const n = samples.length;
  return {
    n,
    mean: r(n ? samples.reduce((s, x) => s + x, 0) / n : Number.NaN),
    p50: r(percentile(samples, 50)),
    p95: r(percentile(samples, 95)),
    p99: r(percentile(samples, 99)),
    max: r(n ? Math.max(...samples) : Number.NaN),
  };
}

/** Share of the exact top-k ids that the approximate top-k found. */
export function recallAtK(approx: readonly number[], exact: readonly number[], k: number): number {
  const truth = exact.slice(0, k);
  if (truth.length === 0) return 1;
  const found = new Set(approx.slice(0, k));
  return truth.filter((id) => found.has(id)).length / truth.length;
}

/**
 * Recall@k that forgives ties: an approximate hit counts when its similarity is at least the exact
 * k-th similarity (minus eps), since equally similar vectors (duplicate passages) are interchangeable.
 */
export function tieAwareRecallAtK(approxSims: readonly number[], exactSims: readonly number[], k: number, eps = 1e-5): number {
  const truth = exactSims.slice(0, k);
  if (truth.length === 0) return 1;
  const kth = Math.min(...truth);
  const good = approxSims.slice(0, k).filter((s) => s >= kth - eps).length;
  return Math.min(good, truth.length) / truth.length;
}

/** Top k of scores (descending), as ids and scores; ties broken by lower id. */
export function topK(scores: Float32Array | readonly number[], k: number): { ids: number[]; scores: number[] } {
  const ids: number[] = [];
  const vals: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (ids.length === k && s <= vals[k - 1]!) continue;
    let j = ids.length < k ? ids.length : k - 1;
    if (ids.length < k) {
      ids.push(i);
      vals.push(s);
    }
    while (j > 0 && vals[j - 1]! < s) {
      ids[j] = ids[j - 1]!;
      vals[j] = vals[j - 1]!;
      j--;
    }
    ids[j] = i;
    vals[j] = s;
  }
  return { ids, scores: vals };
}

/** Exact cosine top-k over row-major vectors (n × dim) with precomputed inverse norms. */
export function exactCosineTopK(vectors: Float32Array, invNorms: Float32Array, dim: number, query: Float32Array, k: number): { ids: number[]; scores: number[] } {
  let qn = 0;
  for (let d = 0; d < dim; d++) qn += query[d]! * query[d]!;
  const qinv = qn > 0 ? 1 / Math.sqrt(qn) : 0;
  const n = invNorms.length;
  const scores = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let dot = 0;
    const off = i * dim;
    for (let d = 0; d < dim; d++) dot += vectors[off + d]! * query[d]!;
    scores[i] = dot * invNorms[i]! * qinv;
  }
  return topK(scores, k);
}

export function inverseNorms(vectors: Float32Array, dim: number): Float32Array {
  const n = Math.floor(vectors.length / dim);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += vectors[i * dim + d]! ** 2;
    out[i] = s > 0 ? 1 / Math.sqrt(s) : 0;
  }
  return out;
}

/** "met" when measured satisfies the limit (≤ for maxima, ≥ for minima), else the gap as a signed ratio. */
export function checkTarget(measured: number, limit: number, kind: 'max' | 'min'): { met: boolean; gap: string } {
  const met = kind === 'max' ? measured <= limit : measured >= limit;
  if (met) return { met, gap: 'met' };
  if (!Number.isFinite(measured)) return { met, gap: 'not measured' };
  const diff = measured - limit;
  return { met, gap: `gap ${diff > 0 ? '+' : ''}${round(diff)} (${round(measured / limit)}× target)` };
}

const round = (x: number): number => (Math.abs(x) >= 10 ? Math.round(x * 10) / 10 : Math.round(x * 1000) / 1000);
