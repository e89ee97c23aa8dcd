import { createHmac, randomBytes } from 'node:crypto';
import {
  DiscordAPIError,
  Events,
  PermissionFlagsBits,
  RESTJSONErrorCodes,
  type AnyThreadChannel,
  type Channel,
  type Client,
  type Message,
  type PartialMessage,
  type TextBasedChannel,
} from 'discord.js';
import { isUnreachable } from '../storage/postgres/sql.js';
import { isOnlyFraming } from '../search/framing.js';
import { answerInChannel, type Page, type Speak } from './answers.js';
import { askChannelIds, isQuestionLike } from './ask-channels.js';
import type { BotContext } from './context.js';
import { answerAsText, clip, NO_MENTIONS } from './format.js';
import { checkText, hasWords, MAX_QUESTION_LENGTH, searchText } from './input.js';
import { isForumPost, threadContext } from './threads.js';
import { PoolBusyError } from './search-pool.js';
import { spendSearch } from './reply.js';
import { BUSY, DAMAGED, FAILED, isDamagedIndex, UNAVAILABLE } from './router.js';
import type { Logger } from './logger.js';
import type { BotState } from './state/store.js';

/** A reply to a message pings nobody, not even its author (Discord pings the replied-to user by default). */
const REPLY_MENTIONS = { ...NO_MENTIONS, repliedUser: false } as const;
/** Discord's limit on a thread name. */
const THREAD_NAME_MAX = 100;

export const MENTION_HELP =
  'Ask me a question after the mention, e.g. `@Archivist What did Saldo urge Kherson residents to do?` — ' +
  'I answer with quoted passages from the news corpus. `/ask` does the same with filters (dates, outlet).';

/** Why a message is answered. */
type Trigger = 'mention' | 'ask-channel' | 'forum-post' | 'thread';

/**
 * Questions asked in messages: `@Archivist <question>` anywhere the bot can read, every
 * question-like message of an ask channel (answered in a new thread), every new post of an ask
 * forum, and question-like replies in the threads the bot answers in (follow-ups, which carry the
 * thread's earlier questions). Nobody asked the bot in the last three, so it speaks there only when
 * it has something (see `speak`). The bot's own messages and other bots' are ignored.
 */
export function routeMessages(client: Client, ctx: BotContext): void {
  const answers = new AnswersByQuestion(ctx.state, ctx.log);
  // One question's events in order: an edit waits for the answer being searched, and vice versa.
  const inOrder = new InOrder();
  const failed = (id: string) => (err: unknown) => ctx.log.error({ err, message: id }, 'message handler failed');
  client.on(Events.MessageCreate, (message: Message) => {
    void inOrder.run(message.id, () => onMessage(message, ctx, answers)).catch(failed(message.id));
  });
  // An answered question edited: searched again, its answer edited in place (see onEdited).
  client.on(Events.MessageUpdate, (_old, message) => {
    if (!message.guildId || (!inOrder.busy(message.id) && !answers.get(message.id, message.guildId))) return;
    void inOrder.run(message.id, () => onEdited(message, ctx, answers)).catch(failed(message.id));
  });
  // A renamed forum post asks its question anew: its title is part of it (forumQuestion).
  client.on(Events.ThreadUpdate, (before, thread) => {
    if (before.name === thread.name || !isForumPost(thread) || (!inOrder.busy(thread.id) && !answers.get(thread.id, thread.guildId))) return;
    void inOrder.run(thread.id, () => onRenamed(thread, ctx, answers)).catch(failed(thread.id));
  });
  // A deleted question takes its answer with it: the answer repeats the question's words under the bot's name.
  const onDeleted = (id: string, guildId: string | null): void => {
    if (!guildId) return;
    for (const answer of answers.deleted(id, guildId)) void removeAnswer(client, ctx, id, answer, 'question deleted');
  };
  client.on(Events.MessageDelete, (message) => onDeleted(message.id, message.guildId));
  client.on(Events.MessageBulkDelete, (messages, channel) => {
    for (const id of messages.keys()) onDeleted(id, channel.guildId);
  });
}

/** Runs each key's tasks one after another (different keys at once); holds only the keys with a task running. */
class InOrder {
  private readonly tails = new Map<string, Promise<void>>();

  run(key: string, task: () => Promise<void>): Promise<void> {
    const next = (this.tails.get(key) ?? Promise.resolve()).then(task, task);
    this.tails.set(key, next);
    const done = (): void => {
      if (this.tails.get(key) === next) this.tails.delete(key);
    };
    next.then(done, done);
    return next;
  }

  busy(key: string): boolean {
    return this.tails.has(key);
  }
}

/** Where one of the bot's answers is, and what it answered. */
interface AnswerRef {
  channelId: string;
  messageId: string;
  /** A hash of the question message's text (a forum post's: title and text): an update that keeps it (an embed unfurled, a pin) changes nothing. */
  textHash: string;
  /** A hash of the question as searched: an edit that asks the same question (a mention added, spacing) keeps its answer. */
  questionHash: string;
  /** Answered with earlier questions of its thread or replied-to answer. */
  followUp: boolean;
  /** The earlier questions it followed up on: an edit is searched with the same ones (the thread's chain has moved on to this question). */
  context?: string[];
  /** The thread chain recorded after the answer (the question as searched first); unknown for one remembered from before a restart. */
  chain?: string[];
}

/** What the question of a message is made of: its text, and a forum post's title too. */
function askedText(message: Message | PartialMessage, content: string): string {
  const channel = message.channel;
  return channel.isThread() && message.id === channel.id && isForumPost(channel) ? `${channel.name}\n${content}` : content;
}

type AnswerStore = Pick<BotState, 'saveMessageAnswer' | 'messageAnswer' | 'forgetMessageAnswer' | 'keyedHash'>;

/**
 * The questions an edited follow-up was first asked after, from the chain read back for it (newest
 * first): the chain may already hold this question as first asked, and the follow-ups asked since,
 * so those (the entry hashing to its question and every newer one) are dropped.
 */
export function earlierQuestions(chain: readonly string[] | undefined, questionHash: string, hash: (text: string) => string): string[] | undefined {
  if (!chain) return undefined;
  const at = chain.findIndex((q) => hash(q) === questionHash);
  return at < 0 ? [...chain] : chain.slice(at + 1);
}

/**
 * The bot's answers by the message they answer, and the questions deleted lately (one may be deleted
 * while its answer is being searched). In memory (bounded) with what an edit needs (the earlier
 * questions), and in the state file (ids and hashes only, bounded by age and per server), so edits
 * and deletions of questions answered before a restart are followed too. The state file failing
 * never holds up an answer: it is logged, and memory still serves.
 */
export class AnswersByQuestion {
  private readonly answers = new Map<string, AnswerRef>();
  private readonly gone = new Set<string>();
  /** Used only when the key file cannot be read: hashes then match within this run alone, never unkeyed. */
  private readonly fallbackKey = randomBytes(32);
  private keyWarned = false;

  constructor(
    private readonly store?: AnswerStore,
    private readonly log?: Logger,
    private readonly maxItems = 10_000,
  ) {}

  add(questionId: string, guildId: string, answer: AnswerRef): void {
    this.answers.delete(questionId);
    this.answers.set(questionId, answer);
    bound(this.answers, this.maxItems);
    this.stored('remember', () =>
      this.store?.saveMessageAnswer({ questionId, guildId, channelId: answer.channelId, messageId: answer.messageId, textHash: answer.textHash, questionHash: answer.questionHash, followUp: answer.followUp }),
    );
  }

  get(questionId: string, guildId: string): AnswerRef | undefined {
    const known = this.answers.get(questionId);
    if (known) return known;
    const saved = this.stored('read', () => this.store?.messageAnswer(questionId, guildId));
    return saved && { channelId: saved.channelId, messageId: saved.messageId, textHash: saved.textHash, questionHash: saved.questionHash, followUp: saved.followUp };
  }

  /** The answer was removed (or is gone): nothing to edit any more. */
  forget(questionId: string): void {
    this.answers.delete(questionId);
    this.stored('forget', () => this.store?.forgetMessageAnswer(questionId));
  }

  /** The question was deleted: its answers, to remove (none if it had none yet). */
  deleted(questionId: string, guildId: string): AnswerRef[] {
    this.gone.add(questionId);
    bound(this.gone, this.maxItems);
    const answer = this.get(questionId, guildId);
    if (answer) this.forget(questionId);
    return answer ? [answer] : [];
  }

  /**
   * A keyed hash (HMAC-SHA-256 with the bot's voter-hash key) of a message's text or question: holding
   * the state file is not enough to confirm a guess of what a message said. Rows written before these
   * were keyed (plain SHA-256) no longer match: an edit of such a question is searched again (its
   * answer edited in place) even when its text or question stayed the same.
   */
  hash(text: string): string {
    if (this.store) {
      try {
        return this.store.keyedHash(text);
      } catch (err) {
        // Said once (every answered message hashes two or three times); rows saved meanwhile match this run only.
        if (!this.keyWarned) this.log?.warn({ reason: (err as Error).message }, 'could not read the hash key: answers to messages saved now are matched with a key of this run only (edits and deletions after a restart are not followed for them)');
        this.keyWarned = true;
      }
    }
    return createHmac('sha256', this.fallbackKey).update(text).digest('base64url');
  }

  private stored<T>(what: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      this.log?.warn({ err }, `could not ${what} an answer in the state file`);
      return undefined;
    }
  }

  isDeleted(questionId: string): boolean {
    return this.gone.has(questionId);
  }
}

/** Drops the oldest entries (insertion order) beyond `max`. */
function bound(items: Map<string, unknown> | Set<string>, max: number): void {
  for (const key of items.keys()) {
    if (items.size <= max) break;
    items.delete(key);
  }
}

/** The answer (or its channel) is gone, deleted by a moderator: nothing left to remove or edit. */
const isGone = (err: unknown): boolean => err instanceof DiscordAPIError && (err.code === RESTJSONErrorCodes.UnknownMessage || err.code === RESTJSONErrorCodes.UnknownChannel);

/** Discord refuses to delete or edit anything in an archived thread (50083 "Thread is archived"). */
const isArchivedRefusal = (err: unknown): boolean => err instanceof DiscordAPIError && err.code === RESTJSONErrorCodes.InvalidActionOnArchivedThread;

/**
 * Does `act` on one of the bot's messages in `channel`. An ask channel's thread archives itself a day
 * to a week after its last message, and Discord refuses to delete or edit a message in an archived
 * thread, so one known archived (or refused as such: the cache may not know yet) is unarchived first
 * — its creator, the bot, may; a locked one takes Manage Threads. Returns the thread so unarchived, if
 * any: the caller archives it again if it stays.
 */
async function inOpenThread<T>(channel: TextBasedChannel, act: () => Promise<T>, why: string, log: Logger): Promise<{ value: T; reopened?: AnyThreadChannel }> {
  const thread = channel.isThread() ? channel : undefined;
  if (!thread?.archived) {
    try {
      return { value: await act() };
    } catch (err) {
      if (!thread || !isArchivedRefusal(err)) throw err;
    }
  }
  await thread.setArchived(false, why);
  try {
    return { value: await act(), reopened: thread };
  } catch (err) {
    await rearchive(thread, why, log);
    throw err;
  }
}

/** Archives again a thread unarchived to remove or edit an answer in it, where it stays. */
async function rearchive(thread: AnyThreadChannel, why: string, log: Logger): Promise<void> {
  await thread.setArchived(true, why).catch((err: unknown) => log.info({ thread: thread.id, reason: (err as Error).message }, `${why}: could not archive its thread again`));
}

async function removeAnswer(client: Client, ctx: BotContext, questionId: string, answer: AnswerRef, why: string): Promise<void> {
  const log = { question: questionId, answer: answer.messageId };
  let channel: Channel | null = null;
  let reopened: AnyThreadChannel | undefined;
  try {
    channel = await client.channels.fetch(answer.channelId);
    if (channel?.isTextBased()) {
      const where = channel;
      ({ reopened } = await inOpenThread(where, () => where.messages.delete(answer.messageId), why, ctx.log));
      ctx.log.info(log, `${why}: removed its answer`);
    }
  } catch (err) {
    // Already deleted by a moderator, or the channel is gone: nothing left to remove.
    if (isGone(err)) ctx.log.debug({ ...log, err }, `${why}: its answer was gone already`);
    // Still up, repeating words its member took back: worth a warning.
    else ctx.log.warn({ ...log, reason: (err as Error).message }, `${why}: could not remove its answer (in a locked thread, unarchiving it takes Manage Threads)`);
  }
  // The thread the bot started on an ask channel's question (it has the question's id) is named after
  // it: once it holds nothing but the bot's messages, it goes too.
  const stays = channel?.isThread() && channel.id === questionId && channel.ownerId === client.user?.id ? (await removeThread(channel, ctx, why)) === 'kept' : true;
  if (reopened && stays) await rearchive(reopened, why, ctx.log);
}

/** How many of a thread's messages are read to tell whether anyone but the bot wrote there. */
const THREAD_READ = 50;

/**
 * Whether a message of the bot's thread is the bot's own: its answer and the pages after it, or a
 * system message (the pointer to the starter message, a rename: nobody's words). A member's message
 * is not, nor is one the bot posted for a member (a public /ask, a "Share to channel": an
 * interaction's response, authored by the bot but asked for by that member).
 */
export function isBotsOwn(m: Pick<Message, 'system' | 'author' | 'interactionMetadata' | 'interaction'>, botId: string): boolean {
  return m.system || (m.author.id === botId && !m.interactionMetadata && !m.interaction);
}

/**
 * Deletes a thread of the bot's that holds only its own messages (Manage Threads); without that
 * permission (or if deleting fails) it is archived — and locked where the bot may — so it leaves the
 * channel's thread list. A thread with members' messages is theirs too: it stays ('kept').
 */
async function removeThread(thread: AnyThreadChannel, ctx: BotContext, why: string): Promise<'removed' | 'archived' | 'kept'> {
  const botId = thread.client.user.id;
  const log = { thread: thread.id, guild: thread.guildId };
  try {
    const left = await thread.messages.fetch({ limit: THREAD_READ });
    if (left.size >= THREAD_READ || !left.every((m) => isBotsOwn(m, botId))) {
      ctx.log.debug(log, `${why}: its thread has members' messages: kept`);
      return 'kept';
    }
  } catch (err) {
    ctx.log.debug({ ...log, err }, `${why}: could not read its thread: kept`);
    return 'kept';
  }
  const manage = thread.permissionsFor(botId)?.has(PermissionFlagsBits.ManageThreads) ?? false;
  if (manage) {
    try {
      await thread.delete(why);
      ctx.log.info(log, `${why}: removed its thread`);
      return 'removed';
    } catch (err) {
      ctx.log.debug({ ...log, err }, `${why}: could not delete its thread; archiving it`);
    }
  }
  // Archived already (its answer could not be unarchived and removed): Discord takes no other change.
  if (thread.archived) {
    ctx.log.info(log, `${why}: its thread stays archived (deleting it needs Manage Threads)`);
    return 'archived';
  }
  try {
    // Its creator may archive a thread; locking it takes Manage Threads.
    await thread.edit({ archived: true, ...(manage ? { locked: true } : {}), reason: why });
    ctx.log.info(log, `${why}: archived its thread${manage ? ' and locked it' : ' (deleting it needs Manage Threads)'}`);
    return 'archived';
  } catch (err) {
    ctx.log.info({ ...log, reason: (err as Error).message }, `${why}: could not remove or archive its thread (Manage Threads lets the bot delete it)`);
    return 'kept';
  }
}

/** The answer to edit was deleted meanwhile (by a moderator): it is not posted again. */
class AnswerGone extends Error {}

/**
 * Puts a new page in an earlier answer's place. The thread the bot made on an ask channel's question
 * is named after it: renamed to `name` too (Discord limits renames, so that may take a while and is
 * not waited for). A thread unarchived for the edit is archived again (with the rename, in one go).
 */
async function editAnswer(client: Client, ctx: BotContext, questionId: string, answer: AnswerRef, page: Page, name: string): Promise<Message> {
  const why = 'question edited';
  try {
    const channel = await client.channels.fetch(answer.channelId);
    if (!channel?.isTextBased()) throw new AnswerGone();
    const { value: sent, reopened } = await inOpenThread(channel, () => channel.messages.edit(answer.messageId, page), why, ctx.log);
    const named = channel.isThread() && channel.id === questionId && channel.ownerId === client.user?.id ? channel : undefined;
    if (named) {
      const renamed = reopened ? named.edit({ name, archived: true, reason: why }) : named.setName(name, why);
      void renamed.catch(async (err: unknown) => {
        ctx.log.debug({ err, thread: named.id }, 'could not rename the thread');
        if (reopened) await rearchive(reopened, why, ctx.log);
      });
    } else if (reopened) {
      await rearchive(reopened, why, ctx.log);
    }
    return sent;
  } catch (err) {
    throw isGone(err) ? new AnswerGone() : err;
  }
}

/**
 * An answered question was edited. Only a change of its text counts (Discord also sends updates when
 * a link's embed unfolds or the message is pinned); then it is handled as if asked anew, with the
 * same context, and its answer is edited in place — or removed if the bot would now not answer it.
 */
async function onEdited(message: Message | PartialMessage, ctx: BotContext, answers: AnswersByQuestion): Promise<void> {
  const answer = message.guildId ? answers.get(message.id, message.guildId) : undefined;
  // Not answered (the bot stayed quiet or gave help), or an update without the text (out of cache): nothing to redo.
  if (!answer || message.partial) return;
  if (answers.hash(askedText(message, message.content)) === answer.textHash) return;
  await onMessage(message, ctx, answers, answer);
}

/** A forum post renamed: its starter message (the thread's id) is handled as edited, with the new title. */
async function onRenamed(thread: AnyThreadChannel, ctx: BotContext, answers: AnswersByQuestion): Promise<void> {
  const starter = await thread.fetchStarterMessage().catch((err: unknown) => {
    ctx.log.debug({ err, thread: thread.id }, 'forum post renamed, but its first message could not be read');
    return null;
  });
  if (starter) await onEdited(starter, ctx, answers);
}

/** The question was deleted before its answer went out: nothing is sent. */
class QuestionDeleted extends Error {}

/** What the bot may do where a message came in (a thread's permissions are its parent's). */
interface Abilities {
  /** Send a message there (in a thread: Send Messages in Threads). */
  post: boolean;
  /** Start a thread on a message there and write in it. */
  thread: boolean;
  /** Show embeds: without Embed Links, Discord drops them from the message and says nothing. */
  embeds: boolean;
}

function abilities(message: Message<true>): Abilities {
  const me = message.guild.members.me;
  const perms = me ? message.channel.permissionsFor(me) : null;
  // Not known (no cached member): assume what the README's invite grants; a refusal is still caught when sending.
  if (!perms) return { post: true, thread: true, embeds: true };
  const inThread = message.channel.isThread();
  return {
    post: perms.has(inThread ? PermissionFlagsBits.SendMessagesInThreads : PermissionFlagsBits.SendMessages),
    thread: !inThread && perms.has(PermissionFlagsBits.CreatePublicThreads) && perms.has(PermissionFlagsBits.SendMessagesInThreads),
    embeds: perms.has(PermissionFlagsBits.EmbedLinks),
  };
}

export const NO_EMBEDS_NOTE = 'Sources shown as text: I lack the Embed Links permission in this channel (a server admin can grant it, or use /ask).';

/** Thanks and praise ("thanks!", "thx bot", "good bot", "nice, that helps"): acknowledged with a reaction, not a message. */
const THANKS_START = /^(?:thanks|thank\s*(?:you|u)|thx|ty|tysm|cheers|good\s+bot|nice|great|awesome|perfect|cool|brilliant|excellent|amazing|much appreciated|appreciated?)\b/i;
const PRAISE_WORDS = /\b(?:thanks|thank|thx|ty|tysm|cheers|good|nice|great|awesome|perfect|cool|brilliant|excellent|amazing|appreciated?|bot|archivist|job|work|works|worked|help|helps|helped|helpful|answer|mate|buddy|again)\b/gi;
/** Asking the bot what it does: "help", "commands". */
const HELP = /^\W*(?:help|commands)\W*$/i;
/** Chat shorthand alone ("gg", "brb"): no news has these words, so the search would find nothing to refuse as chat. */
const SHORTHAND = /^\W*(?:gg(?:\s*wp)?|wp|brb|afk|gtg|g2g|ttyl|bbl|nvm|ikr|smh|o7|xd)\W*$/i;

/** What a message addressed to the bot is when it names nothing to search for: thanks, or a call for help. */
export function smallTalk(text: string, followUp: boolean): 'thanks' | 'help' | undefined {
  // "thanks, what about Mykolaiv?" asks something; "Great Barrier Reef bleaching" names a topic.
  if (THANKS_START.test(text) && !isQuestionLike(text) && isOnlyFraming(text.replace(PRAISE_WORDS, ' '))) return 'thanks';
  if (!hasWords(text) || HELP.test(text) || SHORTHAND.test(text)) return 'help';
  // In a thread or reply the bot answers in, "when did that happen?" is a follow-up, not chat.
  if (isOnlyFraming(text) && !(followUp && isQuestionLike(text))) return 'help';
  return undefined;
}

/**
 * A message that may be a question for the bot; `edited`: it is an answered question whose text
 * changed, and that answer is edited (or removed, when the bot would now not answer: the answer
 * repeats words the member took back, as when a question is deleted).
 */
async function onMessage(message: Message, ctx: BotContext, answers: AnswersByQuestion, edited?: AnswerRef): Promise<void> {
  // Direct messages are not served (the bot asks for no DM intent): only server channels.
  if (message.author.bot || message.system || !message.inGuild()) return;
  const botId = message.client.user.id;
  // Read once: an edit arriving meanwhile changes the message object in place (and is handled after this).
  const content = message.content;
  const retract = async (why: string): Promise<void> => {
    if (!edited) return;
    answers.forget(message.id);
    await removeAnswer(message.client, ctx, message.id, edited, why);
  };
  const pinged = message.mentions.users.has(botId);
  // Most messages: without Message Content their text is empty unless they mention the bot. (A forum
  // post's question may be its title alone: its starter message has the thread's id.)
  if (content === '' && !pinged && message.id !== message.channelId) return retract('question edited into no question for the bot');
  const channel = message.channel;
  const askChannels = askChannelIds(ctx, message.guildId);
  const thread = channel.isThread() ? channel : undefined;
  // A mention in the text; a reply to the bot's message also pings it, but only a question counts then.
  const named = pinged && new RegExp(`<@!?${botId}>`).test(content);
  const mentioned = named || (pinged && isQuestionLike(content));

  let trigger: Trigger | undefined;
  // In an ask channel, a question is answered in a thread, mentioned or not.
  if (askChannels.has(channel.id) && (mentioned || isQuestionLike(content))) trigger = 'ask-channel';
  else if (thread && message.id === thread.id && thread.parentId && askChannels.has(thread.parentId) && isForumPost(thread)) trigger = 'forum-post';
  else if (mentioned) trigger = 'mention';
  else if (thread && isQuestionLike(content)) trigger = 'thread';
  if (!trigger) return retract('question edited into no question for the bot');
  // Nobody asked the bot: an ask channel's message, a forum post or a thread message without a mention.
  const unasked = !mentioned;
  // Checked before any search: where the bot cannot write, a search would only end in Discord's refusal.
  const can = abilities(message);
  if (!can.post && !(trigger === 'ask-channel' && can.thread)) {
    ctx.log.warn({ message: trigger, channel: channel.id, guild: message.guildId }, 'cannot answer in this channel: the bot lacks Send Messages (in threads: Send Messages in Threads) there');
    return;
  }

  const raw = trigger === 'forum-post' && thread ? forumQuestion(thread.name, content) : content;
  const text = searchText(raw);
  // Chat that names nothing to search for ("hi all!", "who are you?") in an ask channel or forum is
  // left alone before any search: no thread, nothing taken from anyone's allowance.
  if (unasked && trigger !== 'thread' && isOnlyFraming(text)) {
    ctx.log.debug({ message: trigger, user: message.author.id, guild: message.guildId }, 'chat without a topic: ignored');
    return retract('question edited into chat');
  }

  // A thread's earlier questions; outside threads, those of the answer this message replies to. An
  // edited question keeps the ones it was answered with (the chain has moved on to it since).
  // A reply is in its answer's channel; a reference elsewhere (a forward, perhaps from another
  // server) carries no chain in.
  const replied = message.reference?.channelId === message.channelId ? message.reference.messageId : undefined;
  // A forum post starts its thread: nothing came before it. A follow-up remembered without its
  // earlier questions (from the state file: after a restart, or pushed out of memory) has them read
  // back from its thread, as a new message's are, less this question and those asked after it.
  const readBack = edited && !edited.chain && edited.followUp;
  const read =
    edited && !readBack
      ? edited.context
      : trigger === 'forum-post'
        ? undefined
        : thread
          ? await threadContext(ctx.threads, thread, botId, askChannels, ctx.log)
          : replied
            ? (ctx.threads.get(replied) ?? undefined)
            : undefined;
  const context = readBack ? earlierQuestions(read, edited.questionHash, (q) => answers.hash(q)) : read;
  // Without a mention, only the bot's own threads are answered (and a forum post is the thread's start).
  if (trigger === 'thread' && !context) return retract('question edited into no question for the bot');

  const question = checkText(text, 'question');
  if (!unasked) {
    // Addressed to the bot but nothing to look up: a 👍 for thanks, the help for the rest; never a thread.
    const small = question.ok || !text ? smallTalk(text, Boolean(context?.length)) : undefined;
    // An edit into thanks or chat asks nothing new: its answer goes (no 👍 or help for an edit).
    if (edited && (small || !question.ok)) return retract('question edited into chat');
    if (small === 'thanks') {
      await message.react('👍').catch((err: unknown) => ctx.log.debug({ err, message: message.id }, 'could not react to thanks'));
      ctx.log.info({ message: trigger, user: message.author.id, guild: message.guildId }, 'thanks: reacted');
      return;
    }
    if (small === 'help' || !question.ok) {
      if (!can.post) return;
      await message.reply({ content: small === 'help' || question.ok ? MENTION_HELP : question.error, allowedMentions: REPLY_MENTIONS });
      return;
    }
  }
  if (!question.ok) return retract('question edited into no question for the bot');
  // Edited, but the same question (a mention added or dropped, spacing): its answer stands.
  // Hashed only when an answer is to be remembered: the key file is made no sooner.
  const asked = (): string => answers.hash(askedText(message, content));
  if (edited && edited.questionHash === answers.hash(question.value)) {
    answers.add(message.id, message.guildId, { ...edited, textHash: asked() });
    return;
  }

  const started = performance.now();
  const spent = spendSearch(ctx, message.guildId, message.author.id);
  if ('message' in spent) {
    ctx.log.info({ message: trigger, user: message.author.id, guild: message.guildId, waitMs: spent.waitMs, quiet: unasked, edit: Boolean(edited) }, 'rate limited');
    // Nobody asked: saying "you're searching too fast" to chat would break the silence it was owed.
    if (!unasked) await message.reply({ content: spent.message, allowedMentions: REPLY_MENTIONS });
    return;
  }
  // An edit goes where its answer is; else the forum post's own thread, a new thread on the ask
  // channel's message, or a reply in place.
  const send = async (rendered: Page): Promise<Message> => {
    if (answers.isDeleted(message.id)) throw new QuestionDeleted();
    const page = can.embeds ? rendered : { ...rendered, content: answerAsText(rendered.content, rendered.embeds, NO_EMBEDS_NOTE), embeds: [] };
    if (edited) return editAnswer(message.client, ctx, message.id, edited, page, threadName(question.value));
    // Only where the bot may also write in it: a thread it cannot write in would stay empty, named after the question.
    if (trigger === 'ask-channel' && can.thread) {
      const created = await message.startThread({ name: threadName(question.value), reason: 'Answering a question in an ask channel' }).catch((err: unknown) => {
        // A thread exists already, or the permission changed meanwhile: answer in place rather than not at all.
        ctx.log.warn({ err, channel: channel.id }, 'could not start a thread in an ask channel; replying in the channel');
        return undefined;
      });
      if (created) {
        ctx.threads.set(created.id, [question.value]);
        return created.send({ ...page, allowedMentions: NO_MENTIONS });
      }
    } else if (trigger === 'ask-channel') {
      ctx.log.warn({ channel: channel.id }, 'cannot start threads in an ask channel (Create Public Threads and Send Messages in Threads): replying in the channel');
    }
    return message.reply({ ...page, allowedMentions: REPLY_MENTIONS });
  };
  // Unasked, the bot speaks only when it has something, so chat that merely looks like a question gets
  // no public wrong reply: a strong match for a new question; in a conversation with it (its own thread,
  // or a reply to one of its answers, which Discord makes a ping by itself) any answer but the refusal.
  const speak: Speak = named ? 'always' : trigger === 'thread' || mentioned ? 'unless-refused' : 'strong';
  // Asked by name outside a conversation, chat the search refuses ("anyone up for pizza tonight?") gets the help, not a refusal.
  const chatIsHelp = speak === 'always' && !context?.length;
  const log = { message: trigger, user: message.author.id, guild: message.guildId, ...(edited ? { edit: true } : {}) };
  try {
    if (channel.isSendable() && speak === 'always') void channel.sendTyping().catch(() => undefined);
    const answered = await answerInChannel(ctx, { text: question.value, k: 5, filters: {}, ...(context?.length ? { context } : {}) }, message.author.id, { guildId: message.guildId, channelId: message.channelId }, send, speak, chatIsHelp);
    if ('skipped' in answered) {
      // Nothing was said, so the member is charged nothing (the server's share still counts it: see spendSearch).
      spent.giveBack();
      if (answered.skipped === 'chat') {
        ctx.log.info({ ...log, ms: Math.round(performance.now() - started) }, 'chat: gave the help');
        if (edited) return retract('question edited into chat');
        if (can.post) await message.reply({ content: MENTION_HELP, allowedMentions: REPLY_MENTIONS });
        return;
      }
      // A forum post the bot did not answer is its people's discussion, not a thread of the bot's.
      if (trigger === 'forum-post' && thread) ctx.threads.set(thread.id, null);
      ctx.log.info({ ...log, ms: Math.round(performance.now() - started) }, 'no strong match: stayed quiet');
      return retract('question edited into one the bot stays quiet on');
    }
    const { message: sent, chain } = answered;
    answers.add(message.id, message.guildId, {
      channelId: sent.channelId,
      messageId: sent.id,
      textHash: asked(),
      questionHash: answers.hash(question.value),
      followUp: Boolean(context?.length),
      ...(context?.length ? { context } : {}),
      chain,
    });
    // Deleted while the answer was on its way: it goes too.
    if (answers.isDeleted(message.id)) for (const answer of answers.deleted(message.id, message.guildId)) void removeAnswer(message.client, ctx, message.id, answer, 'question deleted');
    // Where a follow-up can come next: a thread on the answer (same id), and the thread it was posted in.
    // After an edit, only where no follow-up came since (that one carries the question as first asked;
    // an answer from before a restart: only where nothing is known).
    const record = (id: string): void => (edited ? ctx.threads.replace(id, edited.chain, chain) : ctx.threads.set(id, chain));
    record(sent.id);
    // (An edited ask-channel question's thread is renamed by editAnswer.)
    if (sent.channel.isThread()) record(sent.channelId);
    ctx.log.info({ ...log, followUp: Boolean(context?.length), ms: Math.round(performance.now() - started) }, edited ? 'question edited: answer updated' : 'message answered');
  } catch (err) {
    // The question was deleted meanwhile (Discord refuses a reply to it): nothing to say, and it cost nothing.
    if (err instanceof QuestionDeleted || answers.isDeleted(message.id)) {
      spent.giveBack();
      ctx.log.info(log, 'question deleted before its answer: nothing sent');
      return;
    }
    // A moderator deleted the answer being edited: it is not posted again.
    if (err instanceof AnswerGone) {
      spent.giveBack();
      answers.forget(message.id);
      ctx.log.info(log, 'question edited, but its answer was deleted: nothing sent');
      return;
    }
    const busy = err instanceof PoolBusyError;
    const down = isUnreachable(err);
    const damaged = !busy && !down && isDamagedIndex(err);
    if (busy || down) ctx.log.warn({ ...log, reason: (err as Error).message }, busy ? 'search queue full' : 'search unavailable');
    // One line: the message names the file and the rebuild; a stack would add nothing.
    else if (damaged) {
      ctx.log.error({ ...log, reason: err.message }, 'index damaged or missing');
      ctx.indexProblem = { message: err.message, at: new Date() };
    }
    else ctx.log.error({ err, ...log }, 'answering a message failed');
    // Not asked by name: a failure is the bot's business, not the channel's (and it cost the member nothing).
    if (speak !== 'always') {
      spent.giveBack();
      return;
    }
    await message.reply({ content: busy ? BUSY : down ? UNAVAILABLE : damaged ? DAMAGED : FAILED, allowedMentions: REPLY_MENTIONS }).catch((e: unknown) => ctx.log.warn({ err: e }, 'could not report the failure'));
  }
}

/** A forum post's question: its title, and its text when it adds words (within the question limit). */
export function forumQuestion(title: string, content: string): string {
  const body = content.trim();
  const joined = body && !body.toLowerCase().startsWith(title.trim().toLowerCase()) ? `${title.trim()}: ${body}` : body || title;
  return clip(joined.replace(/\s+/g, ' '), MAX_QUESTION_LENGTH);
}

/** A thread named from its question (Discord allows 1–100 characters). */
export function threadName(question: string): string {
  return clip(question.replace(/\s+/g, ' ').trim(), THREAD_NAME_MAX) || 'Question';
}
