import { Events, PermissionFlagsBits, type Client, type Message } from 'discord.js';
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
import { BUSY, FAILED, UNAVAILABLE } from './router.js';

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
  const answers = new AnswersByQuestion();
  client.on(Events.MessageCreate, (message: Message) => {
    void onMessage(message, ctx, answers).catch((err: unknown) => ctx.log.error({ err, message: message.id }, 'message handler failed'));
  });
  // A deleted question takes its answer with it: the answer repeats the question's words under the bot's name.
  const onDeleted = (id: string): void => {
    for (const answer of answers.deleted(id)) void removeAnswer(client, ctx, id, answer);
  };
  client.on(Events.MessageDelete, (message) => onDeleted(message.id));
  client.on(Events.MessageBulkDelete, (messages) => {
    for (const id of messages.keys()) onDeleted(id);
  });
}

/** Where one of the bot's answers is. */
interface AnswerRef {
  channelId: string;
  messageId: string;
}

/**
 * The bot's answers by the message they answer, and the questions deleted lately (one may be deleted
 * while its answer is being searched). Bounded and in memory, like the thread chains.
 */
export class AnswersByQuestion {
  private readonly answers = new Map<string, AnswerRef>();
  private readonly gone = new Set<string>();

  constructor(private readonly maxItems = 10_000) {}

  add(questionId: string, answer: AnswerRef): void {
    this.answers.set(questionId, answer);
    bound(this.answers, this.maxItems);
  }

  /** The question was deleted: its answers, to remove (none if it had none yet). */
  deleted(questionId: string): AnswerRef[] {
    this.gone.add(questionId);
    bound(this.gone, this.maxItems);
    const answer = this.answers.get(questionId);
    this.answers.delete(questionId);
    return answer ? [answer] : [];
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

async function removeAnswer(client: Client, ctx: BotContext, questionId: string, answer: AnswerRef): Promise<void> {
  try {
    const channel = await client.channels.fetch(answer.channelId);
    if (channel?.isTextBased()) await channel.messages.delete(answer.messageId);
    ctx.log.info({ question: questionId, answer: answer.messageId }, 'question deleted: removed its answer');
  } catch (err) {
    // Already deleted by a moderator, or the channel is gone: nothing left to remove.
    ctx.log.debug({ err, question: questionId }, 'question deleted: could not remove its answer');
  }
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

/** What a message addressed to the bot is when it names nothing to search for: thanks, or a call for help. */
export function smallTalk(text: string, followUp: boolean): 'thanks' | 'help' | undefined {
  // "thanks, what about Mykolaiv?" asks something; "Great Barrier Reef bleaching" names a topic.
  if (THANKS_START.test(text) && !isQuestionLike(text) && isOnlyFraming(text.replace(PRAISE_WORDS, ' '))) return 'thanks';
  if (!hasWords(text) || HELP.test(text)) return 'help';
  // In a thread or reply the bot answers in, "when did that happen?" is a follow-up, not chat.
  if (isOnlyFraming(text) && !(followUp && isQuestionLike(text))) return 'help';
  return undefined;
}

async function onMessage(message: Message, ctx: BotContext, answers: AnswersByQuestion): Promise<void> {
  // Direct messages are not served (the bot asks for no DM intent): only server channels.
  if (message.author.bot || message.system || !message.inGuild()) return;
  const botId = message.client.user.id;
  // Most messages: without Message Content their text is empty unless they mention the bot. (A forum
  // post's question may be its title alone: its starter message has the thread's id.)
  if (message.content === '' && !message.mentions.users.has(botId) && message.id !== message.channelId) return;
  const channel = message.channel;
  const askChannels = askChannelIds(ctx, message.guildId);
  const thread = channel.isThread() ? channel : undefined;
  const pinged = message.mentions.users.has(botId);
  // A mention in the text; a reply to the bot's message also pings it, but only a question counts then.
  const named = pinged && new RegExp(`<@!?${botId}>`).test(message.content);
  const mentioned = named || (pinged && isQuestionLike(message.content));

  let trigger: Trigger | undefined;
  // In an ask channel, a question is answered in a thread, mentioned or not.
  if (askChannels.has(channel.id) && (mentioned || isQuestionLike(message.content))) trigger = 'ask-channel';
  else if (thread && message.id === thread.id && thread.parentId && askChannels.has(thread.parentId) && isForumPost(thread)) trigger = 'forum-post';
  else if (mentioned) trigger = 'mention';
  else if (thread && isQuestionLike(message.content)) trigger = 'thread';
  if (!trigger) return;
  // Nobody asked the bot: an ask channel's message, a forum post or a thread message without a mention.
  const unasked = !mentioned;
  // Checked before any search: where the bot cannot write, a search would only end in Discord's refusal.
  const can = abilities(message);
  if (!can.post && !(trigger === 'ask-channel' && can.thread)) {
    ctx.log.warn({ message: trigger, channel: channel.id, guild: message.guildId }, 'cannot answer in this channel: the bot lacks Send Messages (in threads: Send Messages in Threads) there');
    return;
  }

  const raw = trigger === 'forum-post' && thread ? forumQuestion(thread.name, message.content) : message.content;
  const text = searchText(raw);
  // Chat that names nothing to search for ("hi all!", "who are you?") in an ask channel or forum is
  // left alone before any search: no thread, nothing taken from anyone's allowance.
  if (unasked && trigger !== 'thread' && isOnlyFraming(text)) {
    ctx.log.debug({ message: trigger, user: message.author.id, guild: message.guildId }, 'chat without a topic: ignored');
    return;
  }

  // A thread's earlier questions; outside threads, those of the answer this message replies to.
  const replied = message.reference?.messageId;
  // A forum post starts its thread: nothing came before it.
  const context =
    trigger === 'forum-post' ? undefined : thread ? await threadContext(ctx.threads, thread, botId, askChannels, ctx.log) : replied ? (ctx.threads.get(replied) ?? undefined) : undefined;
  // Without a mention, only the bot's own threads are answered (and a forum post is the thread's start).
  if (trigger === 'thread' && !context) return;

  const question = checkText(text, 'question');
  if (!unasked) {
    // Addressed to the bot but nothing to look up: a 👍 for thanks, the help for the rest; never a thread.
    const small = question.ok || !text ? smallTalk(text, Boolean(context?.length)) : undefined;
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
  if (!question.ok) return;

  const started = performance.now();
  const spent = spendSearch(ctx, message.guildId, message.author.id);
  if ('message' in spent) {
    ctx.log.info({ message: trigger, user: message.author.id, guild: message.guildId, waitMs: spent.waitMs, quiet: unasked }, 'rate limited');
    // Nobody asked: saying "you're searching too fast" to chat would break the silence it was owed.
    if (!unasked) await message.reply({ content: spent.message, allowedMentions: REPLY_MENTIONS });
    return;
  }
  // The forum post's own thread, or a new thread on the ask channel's message, or a reply in place.
  const send = async (rendered: Page): Promise<Message> => {
    if (answers.isDeleted(message.id)) throw new QuestionDeleted();
    const page = can.embeds ? rendered : { ...rendered, content: answerAsText(rendered.content, rendered.embeds, NO_EMBEDS_NOTE), embeds: [] };
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
  try {
    if (channel.isSendable() && speak === 'always') void channel.sendTyping().catch(() => undefined);
    const answered = await answerInChannel(ctx, { text: question.value, k: 5, filters: {}, ...(context?.length ? { context } : {}) }, message.author.id, { guildId: message.guildId, channelId: message.channelId }, send, speak);
    if (!answered) {
      // Nothing was said, so the member is charged nothing (the server's share still counts it: see spendSearch).
      spent.giveBack();
      // A forum post the bot did not answer is its people's discussion, not a thread of the bot's.
      if (trigger === 'forum-post' && thread) ctx.threads.set(thread.id, null);
      ctx.log.info({ message: trigger, user: message.author.id, guild: message.guildId, ms: Math.round(performance.now() - started) }, 'no strong match: stayed quiet');
      return;
    }
    const { message: sent, chain } = answered;
    answers.add(message.id, { channelId: sent.channelId, messageId: sent.id });
    // Deleted while the answer was on its way: it goes too.
    if (answers.isDeleted(message.id)) for (const answer of answers.deleted(message.id)) void removeAnswer(message.client, ctx, message.id, answer);
    // Where a follow-up can come next: a thread on the answer (same id), and the thread it was posted in.
    ctx.threads.set(sent.id, chain);
    if (sent.channel.isThread()) ctx.threads.set(sent.channelId, chain);
    ctx.log.info({ message: trigger, user: message.author.id, guild: message.guildId, followUp: Boolean(context?.length), ms: Math.round(performance.now() - started) }, 'message answered');
  } catch (err) {
    // The question was deleted meanwhile (Discord refuses a reply to it): nothing to say, and it cost nothing.
    if (err instanceof QuestionDeleted || answers.isDeleted(message.id)) {
      spent.giveBack();
      ctx.log.info({ message: trigger, user: message.author.id, guild: message.guildId }, 'question deleted before its answer: nothing sent');
      return;
    }
    const busy = err instanceof PoolBusyError;
    const down = isUnreachable(err);
    if (busy || down) ctx.log.warn({ message: trigger, user: message.author.id, reason: (err as Error).message }, busy ? 'search queue full' : 'search unavailable');
    else ctx.log.error({ err, message: trigger, user: message.author.id }, 'answering a message failed');
    // Not asked by name: a failure is the bot's business, not the channel's (and it cost the member nothing).
    if (speak !== 'always') {
      spent.giveBack();
      return;
    }
    await message.reply({ content: busy ? BUSY : down ? UNAVAILABLE : FAILED, allowedMentions: REPLY_MENTIONS }).catch((e: unknown) => ctx.log.warn({ err: e }, 'could not report the failure'));
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
