/** Tunables of ranking and abstention, calibrated on the question sets (see BENCHMARKS.md). */
export interface RankingParams {
  /** Candidates taken from each retriever before fusion. */
  candidates: number;
  /** Reciprocal rank fusion, or a weighted sum of max-normalized scores. */
  fusion: 'rrf' | 'linear';
  lexicalWeight: number;
  denseWeight: number;
  /**
   * Abstain when the best passage (with its title) covers less than this share of the question's
   * idf-weighted concepts, or its quote less than `minQuoteCoverage`…
   */
  minCoverage: number;
  minQuoteCoverage: number;
  /** …unless (hybrid) its cosine similarity to the question is at least this. */
  minSimilarity: number;
  /** Passages the keyword index returns (by BM25) before the concept count re-ranks them. */
  keywordCandidates: number;
  /** Multiplier on the weight of WordNet alternatives of question words (0 turns expansion off). */
  expansion: number;
}

export const DEFAULT_RANKING: RankingParams = {
  candidates: 100,
  fusion: 'rrf',
  lexicalWeight: 1,
  denseWeight: 1,
  minCoverage: 0.45,
  minQuoteCoverage: 0.35,
  minSimilarity: 0.75,
  keywordCandidates: 100,
  expansion: 0.6,
};
