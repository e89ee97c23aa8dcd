import { processTerm, tokenize } from '../../text/analyze.js';
import { backgroundShare } from '../../text/background.js';
import type { TopicEvidence } from '../../types.js';
import type { Concept, QueryPlan } from '../query.js';

/**
 * Is the question about what this corpus is about at all? A word's topicality is how much more
 * often the corpus uses it than everyday English does (text/background.ts): in war news "kherson",
 * "sanctions", "missile" score high, "steak", "homework", "guitar" low. A question the corpus can
 * answer nearly always has at least one word of the corpus's own topics (a name, a place, the
 * subject's vocabulary); everyday chat and requests ("how many minutes do pasta shells
 * boil", "why is the sky blue") have none, whatever passage the search finds for their words.
 * It needs no training, and it follows the corpus: in a cooking corpus "steak" is topical.
 */

/** Log-ratio of the corpus's use of the term (share of passages holding it) to everyday English's (share of words). */
export function topicality(plan: Pick<QueryPlan, 'docs'>, c: Pick<Concept, 'term' | 'df'>): number {
  return Math.log((c.df + 0.5) / Math.max(plan.docs, 1)) - Math.log(backgroundShare(c.term));
}

/**
 * Below this, not one of the question's words is a word of the corpus's topics: refused
 * (postprocess/abstain.ts). Chosen on the train splits (the most off-topic questions refused while
 * adding at most 1.5 points of false refusals on the answerable train sets, ours and RealtimeQA's
 * train weeks), then checked on dev: see BENCHMARKS.md. The unit: passages vs words, so a word
 * used as often in the corpus as in speech scores about log(words per passage) ≈ 5.
 */
export const MIN_TOPICALITY = 6.5;

/**
 * The question's most topical word that the corpus uses (numbers left out: they are no topic, and
 * the background lists none), and its content words as written.
 */
export function topicEvidence(plan: QueryPlan): TopicEvidence {
  const surface = new Map<string, string>();
  for (const token of tokenize(plan.question)) {
    const term = processTerm(token);
    if (term !== null && !surface.has(term)) surface.set(term, token);
  }
  let best: { word: string; topicality: number } | undefined;
  for (const c of plan.concepts) {
    if (c.df === 0 || /^\p{N}+$/u.test(c.term)) continue;
    const t = topicality(plan, c);
    if (!best || t > best.topicality) best = { word: surface.get(c.term) ?? c.term, topicality: Math.round(t * 100) / 100 };
  }
  const words = plan.concepts.filter((c) => !/^\p{N}+$/u.test(c.term)).map((c) => surface.get(c.term) ?? c.term);
  return { topicality: best?.topicality ?? -Infinity, ...(best ? { word: best.word } : {}), words };
}
