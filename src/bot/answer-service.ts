import type { CoreConfig } from '../config.js';
import type { OutletCount } from '../storage/backend.js';
import { openSearcher } from '../open.js';
import type { Answer, ArticleSummary, IndexStatus, SearchOptions } from '../types.js';

/** A page of `/sources`. */
export interface ArticleList {
  total: number;
  items: ArticleSummary[];
}

/**
 * What the bot's commands need from the search core. The bot reaches it through the search pool
 * (src/bot/search-pool.ts), whose workers each hold one opened index behind this interface.
 */
export interface AnswerService {
  ask(question: string, options: SearchOptions): Promise<Answer>;
  status(): Promise<IndexStatus>;
  /** `signal`: the answer is no longer wanted (an autocomplete past its deadline): a request still queued is dropped. */
  listArticles(query: string, offset: number, limit: number, signal?: AbortSignal): Promise<ArticleList>;
  /** Outlets by case-insensitive prefix, most articles first. */
  listOutlets(prefix: string, limit: number): Promise<OutletCount[]>;
}

/** One opened index inside a search worker. */
export interface OpenedIndex {
  ask(question: string, options: SearchOptions): Promise<Answer>;
  status(): IndexStatus;
  listArticles(query: string, offset: number, limit: number): ArticleList | Promise<ArticleList>;
  listOutlets(prefix: string, limit: number): OutletCount[] | Promise<OutletCount[]>;
  /**
   * Loads the embedding model (not before this is first called) and resolves when it has loaded or
   * failed; the index answers from keywords until then.
   */
  ready(): Promise<void>;
  /** Picks up a newer generation of the same index in place (after /reindex); true if it changed. */
  refresh?(): Promise<boolean>;
  /** Frees what the index holds (database handles, model); called once no request uses it any more. */
  close?(): void | Promise<void>;
}

/**
 * THE place where a search worker opens the index (at start and after each /reindex): point this at
 * another search core and the whole bot follows. Read-only; the model loads in the background.
 * `onNotice`: what the index says once, e.g. a vector file failing its background checksum check.
 */
export async function openIndexForSearch(dir: string, config: SearchConfig, onNotice?: (message: string) => void): Promise<OpenedIndex> {
  return openSearcher(config, dir, { model: 'later', explicitModel: config.explicitModel, onNotice });
}

/** What a search worker is given to open the index with: the core settings and the model the user named, if any. */
export type SearchConfig = CoreConfig & { explicitModel?: string };
