import type { BotConfig } from './config.js';
import type { FollowUpInfo, IndexStatus } from '../types.js';
import type { AnswerService } from './answer-service.js';
import type { BuildReport } from '../indexer/build.js';
import type { Logger } from './logger.js';
import type { Operators } from './operators.js';
import type { OutletCache } from './outlets.js';
import type { RateLimiter } from './rate-limit.js';
import type { Reindexer } from './reindex.js';
import type { SessionStore } from './sessions.js';
import type { BotState } from './state/store.js';
import type { ThreadChains } from './threads.js';
import type { Filters } from './input.js';

/** What an answer's buttons need to page, share and vote: kept in memory behind a short id. */
export interface AnswerSession {
  kind: 'ask' | 'cite';
  /** The question or claim, as searched. */
  text: string;
  /** Link to the message a "Find sources" claim came from. */
  messageUrl?: string;
  /** The text is another member's message ("Find sources"): never stored. */
  othersText?: boolean;
  k: number;
  filters: Filters;
  ownerId: string;
  /** The server it was asked in: its buttons work there only (null: a direct message). */
  guildId: string | null;
  ephemeral: boolean;
  /** The asker chose to see the closest passages although confidence is low. */
  evenIfUnsure?: boolean;
  /** Earlier questions of the thread it was asked in, newest first (a follow-up). */
  context?: string[];
  /** What the first page's search carried over from `context`. */
  followUp?: FollowUpInfo;
  /** What each shown page listed, by offset: recorded with votes. */
  pages: Map<number, PageRecord>;
  /** The pages shared to the channel ("Share to channel"), by `sharedKey`, with the shared message's link once posted. */
  shared?: Map<string, string | undefined>;
  /** The question's row in the question log (FEEDBACK=on), which votes refer to. */
  questionId?: number;
}

export interface PageRecord {
  mode: string;
  abstained: boolean;
  /** The confidence model's probability for the top passage. */
  confidence?: number;
  /** Answered with a strong match (at or above the model's strong level, no rule refusing). */
  strong?: boolean;
  /** Refused as chat that asks nothing the corpus could hold (answers.ts `isChat`): a mention gets the help instead. */
  chat?: true;
  results: { rank: number; articleId: string; chunkId: number; title: string; url?: string }[];
}

/** The searches of the bot (the search pool): answers, and swapping in a rebuilt index. */
export interface SearchService extends AnswerService {
  /** Opens the index again after a reindex; answers keep coming from the old one until it is swapped in. */
  reopen(): Promise<IndexStatus>;
}

/** Everything command modules get besides the interaction. */
export interface BotContext {
  config: BotConfig;
  log: Logger;
  search: SearchService;
  /** The last /reindex since the bot started. */
  lastReindex: ReindexRecord | undefined;
  /**
   * The last question that failed on a damaged or missing index (isDamagedIndex), for /status;
   * cleared when a new index is swapped in (/reindex, /sources, another shard's reindex).
   */
  indexProblem: IndexProblem | undefined;
  limiter: RateLimiter;
  sessions: SessionStore<AnswerSession>;
  /** Per-guild settings, the question log and votes (DATA_DIR/state.db). */
  state: BotState;
  /** The question chains of the threads answers can be continued in (follow-ups). */
  threads: ThreadChains;
  reindexer: Reindexer;
  /** The application's owner or team: who may change the shared index when SOURCES_GUILD_IDS names no server. */
  operators: Operators;
  /** The index's outlets for autocomplete, refreshed after every (re)index. */
  outlets: OutletCache;
  startedAt: Date;
  /** Tells the other shards (if any) that the index changed, so they reopen it too. */
  announceReindex: () => void;
}

/** A damaged or missing index a question ran into: its one-line error (it names paths) and when. */
export interface IndexProblem {
  message: string;
  at: Date;
}

/** The last /reindex, for /status. */
export interface ReindexRecord {
  at: Date;
  by: string;
  ok: boolean;
  /** Counts and time of a successful run; the error of a failed one. */
  report?: BuildReport;
  error?: string;
}
