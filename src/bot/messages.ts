import { Events, type Client, type Message } from 'discord.js';
import { isUnreachable } from '../storage/postgres/sql.js';
import { isOnlyFraming } from '../search/framing.js';
import { answerInChannel, type Page, type Speak } from './answers.js';
import { askChannelIds, isQuestionLike } from './ask-channels.js';
import type { BotContext } from './context.js';
import { clip, NO_MENTIONS } from './format.js';
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
  client.on(Events.MessageCreate, (message: Message) => {
    void onMessage(message, ctx).catch((err: unknown) => ctx.log.error({ err, message: message.id }, 'message handler failed'));
  });
}

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

async function onMessage(message: Message, ctx: BotContext): Promise<void> {
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
  const send = async (page: Page): Promise<Message> => {
    if (trigger === 'ask-channel') {
      const created = await message.startThread({ name: threadName(question.value), reason: 'Answering a question in an ask channel' }).catch((err: unknown) => {
        // No "Create Public Threads" permission, or a thread exists already: answer in place rather than not at all.
        ctx.log.warn({ err, channel: channel.id }, 'could not start a thread in an ask channel; replying in the channel');
        return undefined;
      });
      if (created) {
        ctx.threads.set(created.id, [question.value]);
        return created.send({ ...page, allowedMentions: NO_MENTIONS });
      }
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
    // Where a follow-up can come next: a thread on the answer (same id), and the thread it was posted in.
    ctx.threads.set(sent.id, chain);
    if (sent.channel.isThread()) ctx.threads.set(sent.channelId, chain);
    ctx.log.info({ message: trigger, user: message.author.id, guild: message.guildId, followUp: Boolean(context?.length), ms: Math.round(performance.now() - started) }, 'message answered');
  } catch (err) {
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
