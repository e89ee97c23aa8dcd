import type { AnswerSession, BotContext, PageRecord } from './context.js';
import { UNSTORED_TEXT } from './state/store.js';

/**
 * The bot's side of "feedback that counts": what gets logged when FEEDBACK=on (each answered
 * question, each 👍/👎), and nothing at all when it is off. The state store (./state/) owns the format.
 */

export interface AskedWhere {
  guildId: string | null;
  channelId: string | null;
}

/**
 * Logs an answered or refused question with its first page; returns the id votes refer to, or
 * undefined (FEEDBACK=off, or the store failed: the answer is never held up by logging).
 */
export function logQuestion(
  ctx: Pick<BotContext, 'config' | 'state' | 'log'>,
  where: AskedWhere,
  session: Pick<AnswerSession, 'kind' | 'text' | 'filters' | 'ephemeral' | 'othersText'>,
  page: PageRecord,
): number | undefined {
  if (ctx.config.FEEDBACK !== 'on') return undefined;
  const top = page.results[0];
  // A private question counts, but its text is not kept (nor shown in the report); neither is
  // another member's message that someone looked up with "Find sources".
  const keepText = !session.ephemeral && !session.othersText;
  try {
    return ctx.state.logQuestion({
      guildId: where.guildId,
      channelId: where.channelId,
      kind: session.kind,
      question: keepText ? session.text : UNSTORED_TEXT,
      filters: session.filters,
      answered: !page.abstained,
      confidence: page.confidence,
      top: top && { articleId: top.articleId, chunkId: top.chunkId, title: top.title, url: top.url },
    });
  } catch (err) {
    ctx.log.error({ err }, 'could not log the question');
    return undefined;
  }
}

/** Records a 👍/👎 on a page of an answer (one per user per page; voting again replaces it). */
export function recordVote(ctx: Pick<BotContext, 'state'>, questionId: number, offset: number, userId: string, vote: 'up' | 'down', page: PageRecord | undefined): 'recorded' | 'changed' | 'unchanged' {
  return ctx.state.recordVote({
    questionId,
    offset,
    userId,
    vote,
    results: (page?.results ?? []).map((r) => ({ rank: r.rank, articleId: r.articleId, chunkId: r.chunkId, title: r.title })),
  });
}
