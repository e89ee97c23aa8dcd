/** Tunables of ranking and abstention, calibrated on the question sets (see BENCHMARKS.md). */
export interface RankingParams {
  /** Candidates taken from each retriever before fusion. */
  candidates: number;
  /** Reciprocal rank fusion, or a weighted sum of max-normalized scores. */
  fusion: 'rrf' | 'linear';
  lexicalWeight: number;
  denseWeight: number;
  /** Question words found in more than this share of passages are left out of the keyword query's first pass… */
  commonTermShare: number;
  /** …unless that would leave fewer than this many words. */
  minQueryTerms: number;
  /** Passages the first keyword pass hands to the second. */
  keywordCandidates: number;
  /** Multiplier on the weight of WordNet alternatives of question words (0 turns expansion off). */
  expansion: number;
  /** Abstain below this probability that the answer is right (undefined: the trained model's threshold). */
  minConfidence?: number;
}

export const DEFAULT_RANKING: RankingParams = {
  candidates: 100,
  fusion: 'rrf',
  lexicalWeight: 1,
  denseWeight: 1,
  commonTermShare: 0.05,
  minQueryTerms: 2,
  keywordCandidates: 300,
  expansion: 0.6,
};

/** Below this many passages, keyword search runs in one pass. */
export const SMALL_CORPUS = 5000;
