import type { PassageFilter, StoredPassage } from '../storage/backend.js';
import type { Confidence, QueryStage } from '../types.js';
import type { Quote } from './postprocess/quote.js';
import type { QueryPlan } from './query.js';

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
  confidence?: Confidence;
  abstained: boolean;
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
