import type { LinearWeights } from '../src/search/ranker/model.js';

/**
 * Small, deterministic learners for the ranker's linear models: full-batch gradient descent with L2,
 * on standardised features, in a fixed order (the same data always gives the same weights).
 */

export interface Standardizer {
  mean: number[];
  scale: number[];
}

export function standardizer(rows: readonly (readonly number[])[], width: number): Standardizer {
  const mean = new Array<number>(width).fill(0);
  const scale = new Array<number>(width).fill(0);
  if (rows.length === 0) return { mean, scale: scale.map(() => 1) };
  for (const r of rows) for (let j = 0; j < width; j++) mean[j]! += r[j]! / rows.length;
  for (const r of rows) for (let j = 0; j < width; j++) scale[j]! += (r[j]! - mean[j]!) ** 2 / rows.length;
  // A constant feature keeps scale 1, so it neither divides by zero nor moves the score.
  return { mean, scale: scale.map((v) => (v > 1e-12 ? Math.sqrt(v) : 1)) };
}

const standardize = (x: readonly number[], s: Standardizer): number[] => x.map((v, j) => (v - s.mean[j]!) / s.scale[j]!);
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

export interface TrainOptions {
  l2: number;
  epochs: number;
  rate: number;
  /** trainPairwise only: further epochs with LambdaRank's pair weights (0 or absent: none). */
  lambdaEpochs?: number;
}

export const DEFAULT_TRAIN: TrainOptions = { l2: 0.01, epochs: 400, rate: 0.5 };

/**
 * Logistic regression: P(y = 1 | x). `signs` (optional, per feature: 1 = the weight may not be
 * negative, -1 = not positive, 0 = free) keeps the model monotone in features whose direction is
 * known, so it behaves sensibly on corpora unlike the training one (projected gradient descent).
 */
export function trainLogistic(
  xs: readonly (readonly number[])[],
  ys: readonly number[],
  names: readonly string[],
  options: TrainOptions = DEFAULT_TRAIN,
  signs?: readonly number[],
): LinearWeights {
  const width = names.length;
  const s = standardizer(xs, width);
  const z = xs.map((x) => standardize(x, s));
  const w = new Array<number>(width).fill(0);
  let b = 0;
  const n = Math.max(1, z.length);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const gw = w.map((wj) => options.l2 * wj);
    let gb = 0;
    z.forEach((x, i) => {
      let dot = b;
      for (let j = 0; j < width; j++) dot += w[j]! * x[j]!;
      const err = sigmoid(dot) - ys[i]!;
      for (let j = 0; j < width; j++) gw[j]! += (err * x[j]!) / n;
      gb += err / n;
    });
    for (let j = 0; j < width; j++) {
      w[j]! -= options.rate * gw[j]!;
      const sign = signs?.[j] ?? 0;
      if (sign * w[j]! < 0) w[j] = 0;
    }
    b -= options.rate * gb;
  }
  return { features: [...names], mean: s.mean, scale: s.scale, weights: w, bias: b };
}

/** One question's candidates: features and whether each holds the answer. */
export interface Group {
  xs: number[][];
  labels: number[];
}

/**
 * Pairwise (RankNet-style) linear ranker: for every (relevant, irrelevant) pair of one question,
 * the relevant candidate should score higher. Questions weigh equally, whatever their pair count.
 */
export function trainPairwise(groups: readonly Group[], names: readonly string[], options: TrainOptions = DEFAULT_TRAIN): LinearWeights {
  const width = names.length;
  const s = standardizer(
    groups.flatMap((g) => g.xs),
    width,
  );
  const pairs: Array<{ diff: number[]; weight: number; group: number; p: number; q: number }> = [];
  const standardized: Array<{ xs: number[][] }> = [];
  for (const g of groups) {
    const xs = g.xs.map((x) => standardize(x, s));
    const pos = xs.map((_, i) => i).filter((i) => g.labels[i] === 1);
    const neg = xs.map((_, i) => i).filter((i) => g.labels[i] !== 1);
    if (pos.length === 0 || neg.length === 0) continue;
    const group = standardized.length;
    standardized.push({ xs });
    const weight = 1 / (pos.length * neg.length);
    for (const p of pos) for (const q of neg) pairs.push({ diff: xs[p]!.map((v, j) => v - xs[q]![j]!), weight, group, p, q });
  }
  const w = new Array<number>(width).fill(0);
  const n = Math.max(1, standardized.length);
  const step = (weightOf: (pair: number) => number): void => {
    const g = w.map((wj) => options.l2 * wj);
    pairs.forEach(({ diff }, i) => {
      const weight = weightOf(i);
      if (weight === 0) return;
      let dot = 0;
      for (let j = 0; j < width; j++) dot += w[j]! * diff[j]!;
      const err = sigmoid(dot) - 1;
      for (let j = 0; j < width; j++) g[j]! += (weight * err * diff[j]!) / n;
    });
    for (let j = 0; j < width; j++) w[j]! -= options.rate * g[j]!;
  };
  for (let epoch = 0; epoch < options.epochs; epoch++) step((i) => pairs[i]!.weight);
  if (options.lambdaEpochs) {
    // LambdaRank: then weigh each pair by how much swapping the two would change the question's
    // DCG under the current scores, so the pairs near the top of the list count most.
    for (let epoch = 0; epoch < options.lambdaEpochs; epoch++) {
      const lambda = lambdaWeights(standardized, pairs, w);
      step((i) => lambda[i]!);
    }
  }
  return { features: [...names], mean: s.mean, scale: s.scale, weights: w, bias: 0 };
}

/** Per pair: |Δ DCG| of swapping its two candidates under the scores `w` gives, normalised to sum to 1 per question. */
export function lambdaWeights(groups: ReadonlyArray<{ xs: number[][] }>, pairs: ReadonlyArray<{ group: number; p: number; q: number }>, w: readonly number[]): number[] {
  const rankOf = groups.map((g) => {
    const scores = g.xs.map((x) => x.reduce((a, v, j) => a + v * w[j]!, 0));
    const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
    const rank = new Array<number>(scores.length);
    order.forEach((c, r) => {
      rank[c] = r + 1;
    });
    return rank;
  });
  const gain = (r: number): number => 1 / Math.log2(1 + r);
  const raw = pairs.map(({ group, p, q }) => Math.abs(gain(rankOf[group]![p]!) - gain(rankOf[group]![q]!)));
  const total = new Array<number>(groups.length).fill(0);
  pairs.forEach(({ group }, i) => {
    total[group]! += raw[i]!;
  });
  return raw.map((v, i) => (total[pairs[i]!.group]! > 0 ? v / total[pairs[i]!.group]! : 0));
}

/** Rounds every number so the committed weights file diffs cleanly. */
export function rounded(w: LinearWeights, digits = 6): LinearWeights {
  const r = (v: number): number => Number(v.toFixed(digits));
  return { features: w.features, mean: w.mean.map(r), scale: w.scale.map(r), weights: w.weights.map(r), bias: r(w.bias) };
}
