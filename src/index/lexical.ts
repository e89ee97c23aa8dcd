import MiniSearch, { type Options, type SearchResult as MiniResult } from 'minisearch';
import { processTerm, tokenize } from '../text/analyze.js';

/** What the lexical index stores for a chunk: its title (its own field) and its text. */
export interface LexicalDoc {
  id: number;
  title: string;
  text: string;
}

/** BM25 over chunks with our analyzer; the title is its own field, weighted like the text (a higher title boost measured worse on both question sets). */
export const LEXICAL_OPTIONS: Options<LexicalDoc> = {
  idField: 'id',
  fields: ['title', 'text'],
  tokenize,
  processTerm,
  searchOptions: { boost: { title: 1 }, combineWith: 'OR' },
};

export type LexicalIndex = MiniSearch<LexicalDoc>;
export type LexicalHit = MiniResult;

/** Corpus statistics the index does not expose: document frequency of each term, for idf weights. */
export interface TermStats {
  docs: number;
  df: Record<string, number>;
}

export function buildLexical(docs: Iterable<LexicalDoc>): { index: LexicalIndex; stats: TermStats } {
  // Collect each document's terms as MiniSearch analyses them, rather than analysing twice.
  let docTerms = new Set<string>();
  const index = new MiniSearch<LexicalDoc>({
    ...LEXICAL_OPTIONS,
    processTerm: (token) => {
      const term = processTerm(token);
      if (term !== null) docTerms.add(term);
      return term;
    },
  });
  const df = new Map<string, number>();
  let count = 0;
  for (const doc of docs) {
    docTerms = new Set();
    index.add(doc);
    count++;
    for (const term of docTerms) df.set(term, (df.get(term) ?? 0) + 1);
  }
  return { index, stats: { docs: count, df: Object.fromEntries(df) } };
}

export function loadLexical(json: string): LexicalIndex {
  return MiniSearch.loadJSON<LexicalDoc>(json, LEXICAL_OPTIONS);
}

/**
 * Below this many passages, idf weights are computed as if the corpus were this large: in a
 * two-article corpus every word is "common", which would make every question look unanswered.
 */
const MIN_IDF_DOCS = 1000;

/** BM25-style inverse document frequency, never negative. */
export function idf(stats: TermStats, term: string): number {
  const n = stats.df[term] ?? 0;
  const docs = Math.max(stats.docs, MIN_IDF_DOCS);
  return Math.log(1 + (docs - n + 0.5) / (n + 0.5));
}
