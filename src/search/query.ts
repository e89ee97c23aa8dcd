import { idf, type TermStats } from '../index/lexical.js';
import { processTerm, tokenize } from '../text/analyze.js';
import { expand, type Expansions } from '../text/wordnet.js';

/** One content word of a question, with the index terms that may stand in for it. */
export interface Concept {
  term: string;
  /** idf of the question's own term. */
  weight: number;
  /** Related index terms (synonyms, derived forms) with their share of the concept's weight. */
  alternatives: Array<{ term: string; share: number }>;
}

export interface QueryPlan {
  question: string;
  concepts: Concept[];
  /** Every index term to search for → its boost (1 for the question's own words). */
  boosts: Map<string, number>;
  /** Index term → the concepts it counts for. */
  conceptOf: Map<string, number[]>;
  /** Per-term weights for scoring sentences: idf × boost. */
  termWeights: Map<string, number>;
}

/** Analyses a question into weighted concepts, expanded with related words the corpus contains. */
export function planQuery(question: string, stats: TermStats, expansions?: Expansions, scale = 1): QueryPlan {
  const concepts: Concept[] = [];
  const seen = new Set<string>();
  const tokens = tokenize(question);
  for (const [i, token] of tokens.entries()) {
    const term = processTerm(token);
    if (term === null || seen.has(term)) continue;
    seen.add(term);
    const alternatives = expansions
      ? expand(expansions, token, tokens[i + 1]).map(([t, share]) => ({ term: t, share: Math.min(1, share * scale) }))
      : [];
    concepts.push({ term, weight: idf(stats, term), alternatives });
  }
  const own = new Set(concepts.map((c) => c.term));
  const boosts = new Map<string, number>();
  const conceptOf = new Map<string, number[]>();
  const termWeights = new Map<string, number>();
  const link = (term: string, i: number): void => {
    const list = conceptOf.get(term) ?? [];
    if (!list.includes(i)) list.push(i);
    conceptOf.set(term, list);
  };
  concepts.forEach((c, i) => {
    boosts.set(c.term, 1);
    termWeights.set(c.term, c.weight);
    link(c.term, i);
    for (const alt of c.alternatives) {
      // A word the question itself uses is never demoted to an alternative.
      if (own.has(alt.term)) continue;
      boosts.set(alt.term, Math.max(boosts.get(alt.term) ?? 0, alt.share));
      termWeights.set(alt.term, Math.max(termWeights.get(alt.term) ?? 0, alt.share * c.weight));
      link(alt.term, i);
    }
  });
  return { question, concepts, boosts, conceptOf, termWeights };
}

/**
 * Share of the question's idf weight that a set of index terms covers: a concept counts fully
 * through its own word, or by its share through an alternative.
 */
export function coverage(plan: QueryPlan, present: ReadonlySet<string>): number {
  let total = 0;
  let covered = 0;
  for (const c of plan.concepts) {
    total += c.weight;
    if (present.has(c.term)) covered += c.weight;
    else {
      const best = Math.max(0, ...c.alternatives.filter((a) => present.has(a.term)).map((a) => a.share));
      covered += best * c.weight;
    }
  }
  return total === 0 ? 0 : covered / total;
}
