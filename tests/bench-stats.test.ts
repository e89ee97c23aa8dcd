import { describe, expect, it } from 'vitest';
import { checkTarget, distribution, exactCosineTopK, inverseNorms, percentile, recallAtK, tieAwareRecallAtK, topK } from '../bench/stats.js';

describe('percentile', () => {
  it('interpolates between closest ranks', () => {
    const xs = [5, 1, 4, 2, 3]; // sorted 1..5
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile(xs, 50)).toBe(3);
    expect(percentile(xs, 100)).toBe(5);
    expect(percentile(xs, 25)).toBe(2);
    expect(percentile([10, 20], 50)).toBe(15);
    expect(percentile([0, 100], 99)).toBeCloseTo(99);
  });
  it('handles one sample, no samples and bad p', () => {
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
  it('does not reorder its input', () => {
    const xs = [3, 1, 2];
    percentile(xs, 50);
    expect(xs).toEqual([3, 1, 2]);
  });
  it('summarizes a distribution', () => {
    const xs = Array.from({ length: 101 }, (_, i) => i);
    expect(distribution(xs)).toEqual({ n: 101, mean: 50, p50: 50, p95: 95, p99: 99, max: 100 });
  });
});

describe('recall@k', () => {
  it('counts the exact top-k found by the approximate search', () => {
    expect(recallAtK([1, 2, 3], [1, 2, 3], 3)).toBe(1);
    expect(recallAtK([3, 2, 9], [1, 2, 3], 3)).toBeCloseTo(2 / 3);
    expect(recallAtK([9, 8, 7, 1], [1, 2, 3], 3)).toBe(0); // id 1 is beyond k in the approximate list
    expect(recallAtK([], [], 10)).toBe(1);
  });
  it('forgives ties at the k-th similarity', () => {
    // exact top-2 sims 0.9, 0.8; approx found 0.9 and another passage also at 0.8
    expect(tieAwareRecallAtK([0.9, 0.8], [0.9, 0.8], 2)).toBe(1);
    expect(tieAwareRecallAtK([0.9, 0.7], [0.9, 0.8], 2)).toBe(0.5);
  });
});

describe('exact cosine search', () => {
  it('ranks by cosine, not by dot product', () => {
    const dim = 2;
    // id0 long but 45°, id1 short and aligned, id2 opposite
    const vectors = Float32Array.from([10, 10, 0.1, 0, -1, 0]);
    const top = exactCosineTopK(vectors, inverseNorms(vectors, dim), dim, Float32Array.from([1, 0]), 2);
    expect(top.ids).toEqual([1, 0]);
    expect(top.scores[0]).toBeCloseTo(1);
    expect(top.scores[1]).toBeCloseTo(Math.SQRT1_2);
  });
  it('keeps the k largest in order, ties by lower id', () => {
    expect(topK([0.1, 0.5, 0.3, 0.5, 0.9], 3)).toEqual({ ids: [4, 1, 3], scores: [0.9, 0.5, 0.5] });
    expect(topK([2, 1], 5).ids).toEqual([0, 1]);
  });
});

describe('checkTarget', () => {
  it('reports met or the gap', () => {
    expect(checkTarget(20, 25, 'max')).toEqual({ met: true, gap: 'met' });
    expect(checkTarget(50, 25, 'max')).toEqual({ met: false, gap: 'gap +25 (2× target)' });
    expect(checkTarget(0.99, 0.98, 'min').met).toBe(true);
    expect(checkTarget(0.9, 0.98, 'min').met).toBe(false);
    expect(checkTarget(Number.NaN, 1, 'max').gap).toBe('not measured');
  });
});
