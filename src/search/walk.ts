import type { PassageFilter, StoredPassage } from '../storage/backend.js';
import type { Confidence, QueryStage } from '../types.js';
import type { Quote } from './postprocess/quote.js';
import type { QueryPlan } from './query.js';
import type { PassageFeatures } from './ranker/features.js';
import type { QuestionInfo } from './ranker/question.js';

/** A candidate passage on its way to an answer. */
export interface Scored {
  chunkId: number;
  articleId: string;
  score: number;
  text: string;
  passage: StoredPassage;
  /** Cosine similarity to the question (hybrid). */
  similarity?: number;
  /** Chosen once, then shared by abstention and the result. */
  quote?: Quote;
  /** Keyword score (0 when only the dense retriever found it). */
  keywordScore?: number;
  /** The learned ranker's score and the features behind it (candidates within its depth). */
  rankScore?: number;
  features?: PassageFeatures;
  /** The quote model's probability for each sentence of the passage. */
  sentenceScores?: number[];
}

/**
 * The state of one question as it walks plan → retrievers → fusion → post-processors → answer.
 * Each part reads what it needs and adds what it finds.
 */
export interface Walk {
  question: string;
  plan: QueryPlan;
  filter?: PassageFilter;
  offset: number;
  k: number;
  /** Best first: fused, then narrowed by the post-processors. */
  ranked: Scored[];
  /** Set by the dense retriever. */
  queryVector?: Float32Array;
  /** Keyword score and 0-based rank of each passage the keyword retriever found. */
  keyword?: Map<number, { score: number; rank: number }>;
  confidence?: Confidence;
  /** The ranker's order before diversification (the confidence judges the topic on it). */
  reranked?: Scored[];
  /** What the question asks for, analysed once (by the ranker, for its features). */
  info?: QuestionInfo;
  abstained: boolean;
  /** The asker's today (ISO), from which "yesterday" and "this week" count. */
  asOf?: string;
  /** Records the time since the previous lap under a stage name. */
  lap(stage: QueryStage): void;
}

/** One step after fusion (diversify, abstain, quote). */
export interface PostProcessor {
  readonly name: string;
  run(walk: Walk): void | Promise<void>;
}

/** One source of candidates (keyword, dense). */
export interface Retriever {
  readonly name: 'keyword' | 'dense';
  /** False while it cannot answer (e.g. its model is not loaded). */
  available(): boolean;
  /** Best-first candidate ids with their scores (and similarity, for the dense retriever). */
  retrieve(walk: Walk, limit: number): Promise<Array<{ id: number; score: number; similarity?: number }>>;
  close?(): Promise<void>;
}
