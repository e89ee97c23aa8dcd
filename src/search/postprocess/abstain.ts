import { analyze } from '../../text/analyze.js';
import type { Confidence } from '../../types.js';
import { coverage } from '../query.js';
import type { RankingParams } from '../ranking.js';
import type { PostProcessor, Walk } from '../walk.js';
import { quoteFor } from './quote-step.js';

/** The abstention rule: enough of the question's concepts, or (hybrid) close enough in meaning. */
export function relevantEnough(c: Confidence, ranking: Pick<RankingParams, 'minCoverage' | 'minQuoteCoverage' | 'minSimilarity'>): boolean {
  if (c.coverage >= ranking.minCoverage && c.quoteCoverage >= ranking.minQuoteCoverage) return true;
  return c.similarity !== undefined && c.similarity >= ranking.minSimilarity;
}

/** Cosine similarity of two unit vectors. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}

/**
 * Judges the best passage: the share of the question's weighted concepts it (with its title) and
 * its quote cover, and its similarity; abstains when it is not relevant enough.
 * `vectorOf` gives a stored passage vector, for a best passage only the keyword side found.
 */
export function abstainStep(ranking: RankingParams, vectorOf: (id: number) => Promise<Float32Array | undefined>): PostProcessor {
  return {
    name: 'abstain',
    async run(walk: Walk): Promise<void> {
      const best = walk.ranked[0];
      if (!best) {
        walk.abstained = true;
        return;
      }
      if (walk.queryVector && best.similarity === undefined) {
        const v = await vectorOf(best.chunkId);
        if (v) best.similarity = cosine(v, walk.queryVector);
      }
      const title = best.passage.article.title;
      const round = (x: number): number => Math.round(x * 1000) / 1000;
      const quote = quoteFor(best, walk.plan).text;
      walk.confidence = {
        coverage: round(coverage(walk.plan, new Set(analyze(`${title}\n${best.text}`)))),
        quoteCoverage: round(coverage(walk.plan, new Set(analyze(`${title}\n${quote}`)))),
        similarity: best.similarity,
      };
      walk.abstained = !relevantEnough(walk.confidence, ranking);
    },
  };
}
