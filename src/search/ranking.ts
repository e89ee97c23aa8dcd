import { DEFAULT_DIVERSIFY } from './postprocess/diversify.js';

/** Tunables of ranking and abstention, calibrated on the question sets (see BENCHMARKS.md). */
export interface RankingParams {
  /** Candidates taken from each retriever before fusion. */
  candidates: number;
  /** Reciprocal rank fusion, or a weighted sum of max-normalized scores. */
  fusion: 'rrf' | 'linear';
  lexicalWeight: number;
  denseWeight: number;
  /** Passages the keyword index returns (by BM25) before the concept count re-ranks them. */
  keywordCandidates: number;
  /** Multiplier on the weight of WordNet alternatives of question words (0 turns expansion off). */
  expansion: number;
  /**
   * 1: WordNet alternatives are searched for in the keyword index; 0: they only count in the ranker's
   * features for the candidates the question's own words (and names, places) found.
   */
  wordnetRetrieval: number;
  /** Multiplier on the similarity of corpus-learned related words to give their share (0 turns them off). */
  related: number;
  /** 1: related words also find passages (keyword query); 0: they only count in the ranker's features. */
  relatedRetrieval: number;
  /** At most this many passages of one article in the answer (the rest of its passages are dropped). */
  perArticle: number;
  /** Abstain below this probability that the answer is right (undefined: the trained model's threshold). */
  minConfidence?: number;
}

export const DEFAULT_RANKING: RankingParams = {
  candidates: 100,
  fusion: 'rrf',
  lexicalWeight: 1,
  denseWeight: 1,
  keywordCandidates: 100,
  expansion: 0.6,
  wordnetRetrieval: 0,
  related: 0.3,
  relatedRetrieval: 1,
  perArticle: DEFAULT_DIVERSIFY.maxPerArticle,
};
