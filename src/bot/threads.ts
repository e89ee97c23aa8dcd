import { ChannelType, type AnyThreadChannel } from 'discord.js';
import { MAX_CONTEXT } from '../search/follow-up.js';
import type { FollowUpInfo } from '../types.js';
import type { Logger } from './logger.js';

/** The heading an answer starts with (format.ts `headingLine('Question:', …)`), for reading it back. */
const QUESTION_HEADING = /^\*\*Question:\*\* (.+)$/m;

/**
 * The question chain of each thread an answer can be continued in (newest first), by channel id:
 * a thread started from an answer message has that message's id, so answers are recorded under
 * their message id and under the thread they were posted in. `null` records a thread that is not
 * the bot's, so it is not looked up again. Bounded and in memory; after a restart a thread's chain
 * is rebuilt from its starter message (see `threadContext`).
 */
export class ThreadChains {
  private readonly items = new Map<string, string[] | null>();

  constructor(private readonly maxItems = 20_000) {}

  get(id: string): string[] | null | undefined {
    const chain = this.items.get(id);
    if (chain === undefined) return undefined;
    // Most recently used last, so the oldest go first when the map is full.
    this.items.delete(id);
    this.items.set(id, chain);
    return chain;
  }

  set(id: string, chain: string[] | null): void {
    this.items.delete(id);
    this.items.set(id, chain ? chain.slice(0, MAX_CONTEXT) : null);
    for (const key of this.items.keys()) {
      if (this.items.size <= this.maxItems) break;
      this.items.delete(key);
    }
  }

  /**
   * Records `to` where the chain is still `from` (or unknown): an edited question's new chain, unless
   * a follow-up came since (that one's chain carries the question as it was asked). `from` unknown
   * (an answer from before a restart): only where nothing is known.
   */
  replace(id: string, from: readonly string[] | undefined, to: string[]): void {
    const chain = this.items.get(id);
    if (chain === undefined || (from && chain !== null && chain.length === Math.min(from.length, MAX_CONTEXT) && chain.every((q, i) => q === from[i]))) this.set(id, to);
  }
}

/** The chain after answering `question` with `context`: a new topic starts a new chain. */
export function chainAfter(question: string, context: readonly string[] | undefined, followUp: FollowUpInfo | undefined): string[] {
  return followUp?.topicChange ? [question] : [question, ...(context ?? [])].slice(0, MAX_CONTEXT);
}

/** The question of an answer message, from its heading (markdown escapes undone); undefined if it is not one. */
export function questionOfAnswer(content: string): string | undefined {
  const m = QUESTION_HEADING.exec(content);
  const text = m?.[1]?.replace(/\\([^\p{L}\p{N}\s])/gu, '$1').trim();
  return text || undefined;
}

/** Whether a thread is a post in a forum (or media) channel: its starter message lives in the thread itself. */
export function isForumPost(thread: AnyThreadChannel): boolean {
  const type = thread.parent?.type;
  return type === ChannelType.GuildForum || type === ChannelType.GuildMedia;
}

/** How many of a forum post's first messages are read for the bot's answer (it answers at once, so it is among them). */
const FORUM_ANSWER_WINDOW = 10;

/**
 * The earlier questions (newest first) a message in `thread` follows up on, or undefined when the
 * thread is not one the bot answers in: a thread on an answer, one the bot made, or a post in an
 * ask forum that the bot answered (one it stayed quiet on is the people's own discussion). From
 * memory; else (after a restart) read once from Discord: the bot's own threads are named after
 * their question, a thread on an answer has that answer as its starter message, and a forum post's
 * answer is among its first messages.
 */
export async function threadContext(
  chains: ThreadChains,
  thread: AnyThreadChannel,
  botId: string,
  askChannels: ReadonlySet<string>,
  log: Logger,
): Promise<string[] | undefined> {
  const known = chains.get(thread.id);
  if (known !== undefined) return known ?? undefined;
  let chain: string[] | null = null;
  if (thread.ownerId === botId) {
    chain = [thread.name];
  } else {
    try {
      if (thread.parentId && askChannels.has(thread.parentId) && isForumPost(thread)) {
        const first = await thread.messages.fetch({ after: thread.id, limit: FORUM_ANSWER_WINDOW });
        const answer = first.find((m) => m.author.id === botId && questionOfAnswer(m.content) !== undefined);
        if (answer) chain = [questionOfAnswer(answer.content)!];
      } else {
        const starter = await thread.fetchStarterMessage();
        const question = starter?.author.id === botId ? questionOfAnswer(starter.content) : undefined;
        if (question) chain = [question];
      }
    } catch (err) {
      // Deleted starter, or no access: not a thread the bot can continue.
      log.debug({ err, thread: thread.id }, 'could not read the start of a thread');
    }
  }
  chains.set(thread.id, chain);
  return chain ?? undefined;
}
