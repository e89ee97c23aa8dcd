import type { ChunkOptions } from '../chunk.js';
import type { Article, ArticleSummary, SearchFilters } from '../types.js';

/**
 * What the search core needs from storage, whatever holds the index: the embedded SQLite + HNSW
 * backend (src/storage/embedded.ts) and PostgreSQL (src/storage/postgres/). SQL and file layout stay
 * behind it. Reads that may go over the network return promises; `terms` and `expansions` are held
 * in memory by every backend because query planning consults them word by word.
 */

export interface DenseInfo {
  status: 'ok';
  model: string;
  dim: number;
  pooling: 'mean' | 'cls';
  queryPrefix: string;
  passagePrefix: string;
  space: 'cosine';
  M: number;
  efConstruction: number;
  efSearch: number;
  /** Set for a model trained on the corpus (src/indexer/corpus-model.ts): its MODEL_DIR, relative to the index folder. */
  modelDir?: string;
}

export interface NoDenseInfo {
  status: 'unavailable';
  model: string;
  reason: string;
}

export interface CorpusInfo {
  paths: string[];
  files: number;
  duplicates: number;
  problems: number;
}

/** What an index knows about itself. */
export interface IndexInfo {
  /** Where it lives (a database file, a connection string…), for messages. */
  location: string;
  format: number;
  createdAt: string;
  updatedAt: string;
  /** Bumped by every committed update. */
  generation: number;
  articles: number;
  passages: number;
  /** The newest article's date as written (YYYY-MM-DD, YYYY-MM or YYYY); undefined when none is dated. */
  newestDate?: string;
  dense: DenseInfo | NoDenseInfo;
  chunking: ChunkOptions;
  corpus: CorpusInfo;
}

/** A stored passage with its article's metadata: decoded in one place (src/storage/rows.ts). */
export interface StoredPassage {
  id: number;
  position: number;
  start: number;
  end: number;
  text: string;
  article: Omit<Article, 'text'>;
}

/** A keyword query: analysed index terms, each with its weight. */
export interface KeywordQueryTerm {
  term: string;
  boost: number;
}

/** A keyword match: `matched` are indexes into the query of the terms the passage contains. */
export interface KeywordHit {
  id: number;
  score: number;
  matched: number[];
}

export interface VectorHit {
  id: number;
  /** Cosine similarity. */
  similarity: number;
}

/** Corpus statistics for weighting question words. */
export interface TermStats {
  /** Live passages. */
  docs: number;
  /** Passages containing the term. */
  df(term: string): number;
  vocabulary(): Iterable<string>;
}

/**
 * A question's date / outlet filters as compiled by the backend that made them (a predicate over
 * passage ids for the embedded backend, a SQL condition for PostgreSQL): opaque to the search core,
 * which only hands it back to the same backend.
 */
export interface PassageFilter {
  readonly filters: SearchFilters;
}

/**
 * A title lookup (/sources list, autocomplete): `words` are lower-cased without diacritics; each
 * matches a whole title or outlet word, the last one also the start of a word when `prefix` (it is
 * still being typed). No words: every article.
 */
export interface ArticleQuery {
  id: string;
  words: string[];
  prefix: boolean;
}

/** A lookup counts and pages through at most this many matches (and pages start below it): its cost is bounded. */
export const LIST_MATCH_CAP = 2000;

/** An outlet of the index and how many articles it has. */
export interface OutletCount {
  name: string;
  articles: number;
}

export interface SearchBackend {
  readonly info: IndexInfo;
  readonly terms: TermStats;
  /** WordNet alternatives of a lemma that the corpus uses, with their shares. */
  expansions(lemma: string): Array<[string, number]> | undefined;
  /** Related index terms learned from the corpus at build time, with their similarity (0–1). */
  related(term: string): Array<[string, number]> | undefined;
  /** The question's filters compiled for this backend (evaluated by the store), or undefined when there are none. */
  filterFor(filters: SearchFilters): Promise<PassageFilter | undefined>;
  /** Best-first keyword matches. */
  keywordCandidates(query: KeywordQueryTerm[], k: number, filter?: PassageFilter): Promise<KeywordHit[]>;
  /** Nearest passages to a unit vector (empty without vectors). */
  denseCandidates(vector: Float32Array, k: number, filter?: PassageFilter): Promise<VectorHit[]>;
  /** The stored vector of a passage, when there are vectors. */
  vectorOf(id: number): Promise<Float32Array | undefined>;
  /** Passages by id; ids removed by an update since this backend opened are left out. */
  passages(ids: readonly number[]): Promise<Map<number, StoredPassage>>;
  /**
   * Articles, newest first: all, or the one with the query's exact id plus those whose title or outlet
   * has every word, from an index (never a scan of every title); at most LIST_MATCH_CAP matches count.
   */
  listArticles(query: ArticleQuery, offset: number, limit: number): Promise<{ total: number; items: ArticleSummary[] }>;
  /** Outlets whose name starts with `prefix` (case-insensitive; '' for all), most articles first. */
  listOutlets(prefix: string, limit: number): Promise<OutletCount[]>;
  /** Picks up a newer committed generation, if any, without blocking for long; true if it changed. */
  refresh(): Promise<boolean>;
  close(): Promise<void>;
}
