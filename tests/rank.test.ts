import { describe, expect, it } from 'vitest';
import { linearFusion, reciprocalRankFusion } from '../src/search/fusion.js';
import { diversify } from '../src/search/postprocess/diversify.js';

const story = 'Russian forces withdrew from the city of Kherson on Friday after eight months of occupation, officials said, as residents celebrated in the central square.';

describe('diversify', () => {
  it('keeps at most three passages per article (or as set) and collapses wire copies of one story', () => {
    const candidates = [
      { chunkId: 1, articleId: 'a', score: 9, text: story },
      { chunkId: 2, articleId: 'b', score: 8, text: `${story} More to follow.` },
      { chunkId: 3, articleId: 'a', score: 7, text: 'Power was restored to most homes by Sunday evening.' },
      { chunkId: 4, articleId: 'a', score: 6, text: 'Schools will reopen next month, the mayor told reporters.' },
      { chunkId: 5, articleId: 'c', score: 5, text: 'Grain exports resumed from Odesa under the new deal.' },
      { chunkId: 6, articleId: 'a', score: 4, text: 'The bridge over the river stays closed to traffic.' },
    ];
    expect(diversify(candidates).map((c) => c.chunkId)).toEqual([1, 3, 4, 5]);
    expect(diversify(candidates, { maxPerArticle: 2, duplicateJaccard: 0.5, limit: 10 }).map((c) => c.chunkId)).toEqual([1, 3, 5]);
    expect(diversify(candidates, { maxPerArticle: 1, duplicateJaccard: 0.5, limit: 10 }).map((c) => c.chunkId)).toEqual([1, 5]);
  });
});

describe('fusion', () => {
  it('reciprocal rank fusion rewards passages both retrievers rank high', () => {
    const fused = reciprocalRankFusion([
      { ids: [1, 2, 3], weight: 1 },
      { ids: [3, 1, 4], weight: 1 },
    ]);
    const order = [...fused].sort((a, b) => b[1] - a[1]).map(([id]) => id);
    expect(order.slice(0, 2)).toEqual([1, 3]);
    expect(fused.get(4)).toBeCloseTo(1 / 63);
  });

  it('linear fusion scales each list to its best score', () => {
    const fused = linearFusion([
      { scores: [{ id: 1, score: 20 }, { id: 2, score: 10 }], weight: 1 },
      { scores: [{ id: 2, score: 0.8 }, { id: 3, score: 0.4 }], weight: 1 },
    ]);
    expect(fused.get(1)).toBeCloseTo(1);
    expect(fused.get(2)).toBeCloseTo(1.5);
    expect(fused.get(3)).toBeCloseTo(0.5);
  });
});
