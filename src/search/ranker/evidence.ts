import { analyze } from '../../text/analyze.js';
import { conceptHits, type ConceptHit, type QuestionInfo } from './features.js';

/**
 * Evidence about the answer as a whole, beyond one passage's features: does the question have a
 * topic that the best results agree on? An off-topic question ("how do you get red wine out of a
 * carpet") matches scattered words — one passage "red", the next "carpet" — while a question the
 * corpus covers finds several articles sharing its words. A share of the question's weight, so it
 * means the same at any corpus size.
 */

/** One result in the ranker's order, as the evidence needs it. */
export interface RankedEvidence {
  text: string;
  title: string;
  articleId: string;
}

/** How many articles (the top one and the next ones) the topic is judged on. */
export const TOPIC_POOL = 5;

const matched = (h: ConceptHit): boolean => h.own || h.alt > 0 || h.variant > 0;

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
  const seen = new Set([top.articleId]);
  const others: RankedEvidence[] = [];
  for (const r of ranked) {
    if (others.length >= TOPIC_POOL - 1) break;
    if (seen.has(r.articleId)) continue;
    seen.add(r.articleId);
    others.push(r);
  }
  const hitsOf = (r: RankedEvidence): ConceptHit[] => conceptHits(info.plan, new Set(analyze(`${r.title}\n${r.text}`)));
  const topHits = hitsOf(top);
  const otherHits = others.map(hitsOf);
  let shared = 0;
  concepts.forEach((c, i) => {
    if (matched(topHits[i]!) && otherHits.filter((h) => matched(h[i]!)).length * 2 >= others.length) shared += c.weight;
  });
  return shared / total;
}
