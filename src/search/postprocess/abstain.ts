import { analyze } from '../../text/analyze.js';
import { coverage } from '../query.js';
import { topicShare, unitNear } from '../ranker/evidence.js';
import { PASSAGE_FEATURES, questionInfo, type PassageFeature } from '../ranker/features.js';
import { CONFIDENCE_FEATURES, type Ranker } from '../ranker/model.js';
import type { PostProcessor, Walk } from '../walk.js';
import { quoteFor } from './quote-step.js';

/** Cosine similarity of two unit vectors. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}

const FEATURE_INDEX = new Map<string, number>(PASSAGE_FEATURES.map((f, i) => [f, i]));

/**
 * A floor under the learned confidence: a top passage (with its title) that covers less than this
 * share of the question's weighted words does not answer it, whatever the model says. The model
 * learns from news-2022, where off-topic questions are few; in a small corpus most words of an
 * off-topic question are simply absent. Chosen on the train split (≤ 2% of answerable questions
 * fall below it).
 */
export const MIN_COVERAGE = 0.3;

/**
 * Judges the answer: the trained confidence model's probability that the top passage holds what
 * was asked, from the ranker's features of that passage and its lead over the runner-up; abstains
 * below `minConfidence` (the threshold chosen on the dev questions, unless overridden). Coverage
 * figures are kept for reports.
 */
export function abstainStep(ranker: Ranker, minConfidence: number | undefined): PostProcessor {
  const threshold = minConfidence ?? ranker.threshold;
  return {
    name: 'abstain',
    async run(walk: Walk): Promise<void> {
      const best = walk.ranked[0];
      if (!best) {
        walk.abstained = true;
        return;
      }
      walk.info ??= questionInfo(walk.plan);
      const info = walk.info;
      const f = best.features?.values;
      const feature = (name: PassageFeature): number => (f ? f[FEATURE_INDEX.get(name)!]! : 0);
      const values: Record<(typeof CONFIDENCE_FEATURES)[number], number> = {
        coverAll: feature('coverAll'),
        bestSentence: feature('bestSentence'),
        namesMissing: feature('namesMissing'),
        similarity: best.similarity ?? 0,
        absentShare: info.absentShare,
        answerNear: feature('answerNear'),
        answerAny: feature('answerAny'),
        topMissing: feature('topMissing'),
        yearMissing: feature('yearMissing'),
        coverOwn: feature('coverOwn'),
        topicShare: topicShare(
          info,
          (walk.reranked ?? walk.ranked).map((c) => ({ text: c.text, title: c.passage.article.title, articleId: c.articleId })),
        ),
        unitNear: unitNear(info, best.text),
      };
      const x = CONFIDENCE_FEATURES.map((n) => values[n]);
      const probability = ranker.confidence.probability(x);
      const title = best.passage.article.title;
      const round = (v: number): number => Math.round(v * 1000) / 1000;
      const quote = quoteFor(best, walk.plan).text;
      walk.confidence = {
        probability: round(probability),
        strong: probability >= ranker.strong,
        features: x,
        coverage: round(coverage(walk.plan, new Set(analyze(`${title}\n${best.text}`)))),
        quoteCoverage: round(coverage(walk.plan, new Set(analyze(`${title}\n${quote}`)))),
        similarity: best.similarity,
      };
      walk.abstained = probability < threshold || walk.confidence.coverage < MIN_COVERAGE;
      walk.lap('abstain');
    },
  };
}
