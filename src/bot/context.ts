import type { BotConfig } from './config.js';
import type { FeedbackStore } from './feedback.js';
import type { IndexHolder } from './index-holder.js';
import type { Logger } from './logger.js';
import type { RateLimiter } from './rate-limit.js';
import type { Reindexer } from './reindex.js';
import type { SessionStore } from './sessions.js';
import type { Filters } from './input.js';

/** What an answer's buttons need to page, share and vote: kept in memory behind a short id. */
export interface AnswerSession {
  kind: 'ask' | 'cite';
  /** The question or claim, as searched. */
  text: string;
  /** Link to the message a "Find sources" claim came from. */
  messageUrl?: string;
  k: number;
  filters: Filters;
  ownerId: string;
  ephemeral: boolean;
  /** What each shown page listed, by offset: recorded with votes. */
  pages: Map<number, PageRecord>;
}

export interface PageRecord {
  mode: string;
  abstained: boolean;
  results: { rank: number; articleId: string; chunkId: number; title: string }[];
}

/** Everything command modules get besides the interaction. */
export interface BotContext {
  config: BotConfig;
  log: Logger;
  index: IndexHolder;
  limiter: RateLimiter;
  sessions: SessionStore<AnswerSession>;
  feedback: FeedbackStore;
  reindexer: Reindexer;
  /** The EMBEDDING_MODEL the user set, if any (see openOrBuild). */
  explicitModel: string | undefined;
  startedAt: Date;
}
