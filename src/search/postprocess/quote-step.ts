import type { QueryPlan } from '../query.js';
import type { PostProcessor, Scored, Walk } from '../walk.js';
import { selectQuote, type Quote } from './quote.js';

/** The quote of a passage, chosen once (the best passage's serves both abstention and its result). */
export function quoteFor(c: Scored, plan: QueryPlan): Quote {
  // Within the ranker's depth, the quote model's sentence probabilities choose the quote.
  c.quote ??= selectQuote(c.text, plan.termWeights, { maxSentences: 3, question: plan.question, sentenceScores: c.sentenceScores });
  return c.quote;
}

/** Quotes the passages of the page being answered. */
export const quoteStep: PostProcessor = {
  name: 'quote',
  run(walk: Walk): void {
    if (walk.abstained) return;
    for (const c of walk.ranked.slice(walk.offset, walk.offset + walk.k)) quoteFor(c, walk.plan);
    walk.lap('quote');
  },
};
