import type { TermStats } from '../storage/backend.js';
import { processTerm, tokenize } from '../text/analyze.js';
import { placeTable } from '../text/places.js';
import { expand, type ExpansionLookup } from '../text/wordnet.js';
import { withoutFraming } from './framing.js';
import { everydaySpelling, isEverydayWord, type VariantFinder } from './variants.js';

/** One content word of a question, with the index terms that may stand in for it. */
export interface Concept {
  term: string;
  /** idf of the question's own term. */
  weight: number;
  /** Related index terms with their share of the concept's weight, and where they came from. */
  alternatives: Array<{ term: string; share: number; kind: AlternativeKind }>;
  /** Written as a name in the question (capitalised past its start). */
  name: boolean;
  /** Neither the term nor any alternative occurs in the corpus. */
  absent: boolean;
  /** Passages holding the question's own term. */
  df: number;
}

/**
 * WordNet synonyms and derived forms, spelling variants of names, a place ↔ its adjective ("Turkish" ↔ Turkey),
 * or words the corpus uses in the same company ("jail" ↔ "detain", learned at index time).
 */
export type AlternativeKind = 'wordnet' | 'variant' | 'place' | 'corpus';
/** Looks up the corpus-learned related terms of an index term, with their similarity (0–1). */
export type RelatedLookup = (term: string) => Array<[string, number]> | undefined;

export interface QueryPlan {
  question: string;
  concepts: Concept[];
  /** Every index term to search for → its boost (1 for the question's own words). */
  boosts: Map<string, number>;
  /** Terms that stand only for WordNet alternatives (not the question's own words, names or places). */
  wordnetOnly: Set<string>;
  /** Index term → the concepts it counts for. */
  conceptOf: Map<string, number[]>;
  /** Per-term weights for scoring sentences: idf × boost. */
  termWeights: Map<string, number>;
  /** How large the corpus is, 0–1 (1 from LARGE_CORPUS passages up): how much a word it lacks says. */
  corpusScale: number;
  /** Passages in the corpus. */
  docs: number;
  /** Concepts carried over from earlier questions: the question is a follow-up in a conversation. */
  carried?: number;
}

/** A spelling variant counts almost as much as the word itself. */
const VARIANT_SHARE = 0.8;
/** "Turkish" for "Turkey": the same place, said another way. */
const PLACE_SHARE = 0.8;
/** A name in the question that the corpus never uses says the corpus is about something else: it weighs more. */
const ABSENT_WEIGHT = 2;
/** Passages from which a missing ordinary word counts as fully as a missing name. */
const LARGE_CORPUS = 20_000;

/**
 * Below this many passages, idf weights are computed as if the corpus were this large: in a
 * two-article corpus every word is "common", which would make every question look unanswered.
 */
const MIN_IDF_DOCS = 1000;

/** BM25-style inverse document frequency, never negative. */
export function idf(stats: Pick<TermStats, 'docs' | 'df'>, term: string): number {
  const n = stats.df(term);
  const docs = Math.max(stats.docs, MIN_IDF_DOCS);
  return Math.log(1 + (docs - n + 0.5) / (n + 0.5));
}

export interface PlanOptions {
  expansions?: ExpansionLookup;
  /** Multiplier on expansion weights. */
  scale?: number;
  variants?: VariantFinder;
  related?: RelatedLookup;
  /** Multiplier on a related term's similarity to give its share. */
  relatedScale?: number;
  /** Whether related terms join the keyword query (else they only count in features). */
  relatedRetrieval?: boolean;
}

/** At most this many words a slip may have meant: the ones the corpus uses most. */
const MAX_CORRECTIONS = 2;

/** The corrections of a slip the corpus uses most, most used first. */
function likeliest(corrections: string[], stats: Pick<TermStats, 'df'>): string[] {
  return corrections
    .map((term) => ({ term, df: stats.df(term) }))
    .sort((a, b) => b.df - a.df || (a.term < b.term ? -1 : 1))
    .slice(0, MAX_CORRECTIONS)
    .map((c) => c.term);
}

/** Analyses a question into weighted concepts, expanded with related words the corpus contains. */
export function planQuery(question: string, stats: Pick<TermStats, 'docs' | 'df'>, options: PlanOptions = {}): QueryPlan {
  const { expansions, scale = 1, variants, related, relatedScale = 0.3, relatedRetrieval = true } = options;
  const concepts: Concept[] = [];
  const seen = new Set<string>();
  // Chat framing ("hey bot", "anyone know", "what happened to") names no topic: it is left out.
  const tokens = tokenize(withoutFraming(question));
  // Names (capitalised words past the first) may be spelled otherwise in the corpus.
  const names = new Set((question.match(/(?<!^|[.?!]\s)\b\p{Lu}[\p{L}'’-]{3,}/gu) ?? []).map((w) => processTerm(tokenize(w)[0] ?? '')));
  for (const [i, token] of tokens.entries()) {
    const term = processTerm(token);
    if (term === null || seen.has(term)) continue;
    seen.add(term);
    const alternatives: Concept['alternatives'] = expansions
      ? expand(expansions, token, tokens[i + 1]).map(([t, share]) => ({ term: t, share: Math.min(1, share * scale), kind: 'wordnet' as const }))
      : [];
    const df = stats.df(term);
    const absent = df === 0;
    // A place said another way is matched before the word counts as one the corpus never uses.
    for (const p of placeTable().related(term)) {
      if (stats.df(p) > 0 && !alternatives.some((a) => a.term === p)) alternatives.push({ term: p, share: PLACE_SHARE, kind: 'place' });
    }
    // A word the corpus never uses is most likely a slip: of a stop word ("whhich", which names no
    // topic either), of a word the corpus uses ("sepak"), or of an everyday word ("hiuse").
    const everyday = absent ? everydaySpelling(token) : undefined;
    const everydayTerm = everyday === undefined ? undefined : processTerm(everyday);
    if (everydayTerm === null) continue;
    let meant = variants && absent ? likeliest(variants.corrections(term), stats) : [];
    if (meant.length === 0 && everydayTerm !== undefined && stats.df(everydayTerm) > 0) meant = [everydayTerm];
    // A name may be spelled otherwise in the corpus.
    const spellings = new Set(variants && names.has(term) ? variants.find(term) : []);
    for (const t of meant) spellings.add(t);
    for (const v of [...spellings].sort()) alternatives.push({ term: v, share: VARIANT_SHARE, kind: 'variant' });
    // Names have spelling variants instead: a name's distributional neighbours are other names.
    if (related && !names.has(term)) {
      for (const [t, similarity] of related(term) ?? []) {
        if (t !== term && !alternatives.some((a) => a.term === t)) alternatives.push({ term: t, share: Math.min(1, similarity * relatedScale), kind: 'corpus' });
      }
    }
    // Any other word the corpus lacks means more the larger the corpus (in two articles, most words are absent).
    const absentWeight = names.has(term) ? ABSENT_WEIGHT : 1 + (ABSENT_WEIGHT - 1) * Math.min(1, stats.docs / LARGE_CORPUS);
    // A slip weighs what the word meant weighs, not what a word no passage holds would; a real word
    // the corpus lacks ("begin" where only "began" occurs) keeps its weight.
    const slip = meant.length > 0 && !isEverydayWord(token);
    const weight = slip ? idf(stats, meant[0]!) : idf(stats, term) * (absent && alternatives.length === 0 ? absentWeight : 1);
    concepts.push({ term, weight, alternatives, name: names.has(term), absent: absent && alternatives.length === 0, df });
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
  const wordnetOnly = new Set<string>();
  const notWordnet = new Set(own);
  concepts.forEach((c, i) => {
    boosts.set(c.term, 1);
    termWeights.set(c.term, c.weight);
    link(c.term, i);
    for (const alt of c.alternatives) {
      // A word the question itself uses is never demoted to an alternative.
      if (own.has(alt.term) || (alt.kind === 'corpus' && !relatedRetrieval)) continue;
      boosts.set(alt.term, Math.max(boosts.get(alt.term) ?? 0, alt.share));
      termWeights.set(alt.term, Math.max(termWeights.get(alt.term) ?? 0, alt.share * c.weight));
      link(alt.term, i);
      if (alt.kind === 'wordnet') wordnetOnly.add(alt.term);
      else notWordnet.add(alt.term);
    }
  });
  for (const t of notWordnet) wordnetOnly.delete(t);
  return { question, concepts, boosts, wordnetOnly, conceptOf, termWeights, corpusScale: Math.min(1, stats.docs / LARGE_CORPUS), docs: stats.docs };
}

/** The idf weight of the question's concepts a set of index terms holds, and of all of them. */
function matchedWeight(plan: QueryPlan, present: ReadonlySet<string>): { covered: number; total: number } {
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
  return { covered, total };
}

/**
 * Share of the question's idf weight that a set of index terms covers: a concept counts fully
 * through its own word, or by its share through an alternative.
 */
export function coverage(plan: QueryPlan, present: ReadonlySet<string>): number {
  const { covered, total } = matchedWeight(plan, present);
  return total === 0 ? 0 : covered / total;
}

/**
 * How many passages of an index this size would hold the question's words that these terms hold,
 * were words scattered at random (N · e^−Σidf, with idf's own floor on N). Far below one, finding
 * them together says the passage is about them; near one, a large index holds such a passage by
 * chance ("time", "store", "close" and "sunday" all stand in some war report).
 */
export function chanceMatches(plan: QueryPlan, present: ReadonlySet<string>): number {
  return Math.exp(Math.log(Math.max(plan.docs, MIN_IDF_DOCS)) - matchedWeight(plan, present).covered);
}
