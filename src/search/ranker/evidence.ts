import { analyze } from '../../text/analyze.js';
import { conceptHits, type ConceptHit } from './features.js';
import type { QuestionInfo } from './question.js';

/**
 * Evidence about the answer beyond the ranker's passage features, for the confidence model. Each is a
 * share or a yes/no, so it means the same at any corpus size.
 * - Topic agreement: does the question have a topic that the best results agree on? An off-topic
 *   question ("how do you get red wine out of a carpet") matches scattered words — one passage "red",
 *   the next "carpet" — while a question the corpus covers finds several articles sharing its words.
 * - Advice: a how-to or advice question, which news rarely answers (a rule in postprocess/abstain.ts).
 * The unit a question measures in is units.ts's.
 */

/** One result in the ranker's order, as the evidence needs it. */
export interface RankedEvidence {
  text: string;
  title: string;
  articleId: string;
  /** ISO date of the article, when known. */
  date?: string;
}

/** How many articles (the top one and the next ones) the topic is judged on. */
export const TOPIC_POOL = 5;

const matched = (h: ConceptHit): boolean => h.own || h.alt > 0 || h.variant > 0;

/** The best passages of the next articles after the top one (one each, at most TOPIC_POOL − 1). */
export function nextArticles(ranked: readonly RankedEvidence[]): RankedEvidence[] {
  const seen = new Set(ranked[0] ? [ranked[0].articleId] : []);
  const others: RankedEvidence[] = [];
  for (const r of ranked) {
    if (others.length >= TOPIC_POOL - 1) break;
    if (seen.has(r.articleId)) continue;
    seen.add(r.articleId);
    others.push(r);
  }
  return others;
}

/**
 * Weight share of the question's concepts that the top passage (with its title) matches and that at
 * least half of the next articles' best passages match too. With no other article among the results
 * (a one-article corpus, a narrow filter) nothing disagrees: the top passage's own matched share.
 */
export function topicShare(info: QuestionInfo, ranked: readonly RankedEvidence[]): number {
  const { concepts } = info.plan;
  const top = ranked[0];
  const total = concepts.reduce((s, c) => s + c.weight, 0);
  if (!top || total === 0) return 0;
  const others = nextArticles(ranked);
  const hitsOf = (r: RankedEvidence): ConceptHit[] => conceptHits(info.plan, new Set(analyze(`${r.title}\n${r.text}`)));
  const topHits = hitsOf(top);
  const otherHits = others.map(hitsOf);
  let shared = 0;
  concepts.forEach((c, i) => {
    if (matched(topHits[i]!) && otherHits.filter((h) => matched(h[i]!)).length * 2 >= others.length) shared += c.weight;
  });
  return shared / total;
}

/**
 * Asking for advice or a how-to ("how do i…", "best … for …", "any good …", "is … worth watching"):
 * news reports rarely answer these, so such a question must clear a higher coverage floor
 * (postprocess/abstain.ts). A rule, not a model feature: as a feature it explained away the
 * off-topic questions of the training set, and the model then learned less about off-topic
 * questions asked any other way ("how many moons does saturn have").
 */
const ADVICE =
  /^(how (do|can|should|would) (i|you|we)\b|how to\b|(what(?:'?s| is| are) )?(the )?(best|quickest|cheapest|good)(?![\w-])|any (good|tips|recommendations?)\b|anyone (got|know|have)\b|is .* worth\b|tips (for|on)\b|recipe\b)/i;

export function asksAdvice(question: string): boolean {
  return ADVICE.test(question.trim());
}
